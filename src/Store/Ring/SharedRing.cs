namespace XenStore.Ring;

/// <summary>Which end of the page this side is.</summary>
public enum RingSide
{
    /// <summary>Writes requests, reads responses.</summary>
    Guest,
    /// <summary>Reads requests, writes responses.</summary>
    Daemon,
}

/// <summary>
/// One end of a xenstore_domain_interface page in shared memory. Indices are read once per
/// operation with volatile loads and published with a barrier after the data, in the order
/// of xs_wire.h, because the other side runs concurrently in another process or domain.
/// Every index read is checked: a peer that writes impossible indices is reported, not
/// trusted (XSA-style hostile guests).
/// </summary>
public sealed unsafe class SharedRing
{
    private readonly byte* page;
    private readonly int inputRing;
    private readonly int outputRing;
    private readonly int inputConsumer;
    private readonly int inputProducer;
    private readonly int outputConsumer;
    private readonly int outputProducer;

    /// <summary>Uses 4096 bytes at <paramref name="page"/>; the caller keeps them mapped.</summary>
    public SharedRing(byte* page, RingSide side)
    {
        this.page = page;
        Side = side;
        var guest = side == RingSide.Guest;
        inputRing = guest ? RingLayout.ResponseRing : RingLayout.RequestRing;
        outputRing = guest ? RingLayout.RequestRing : RingLayout.ResponseRing;
        inputConsumer = guest ? RingLayout.ResponseConsumer : RingLayout.RequestConsumer;
        inputProducer = guest ? RingLayout.ResponseProducer : RingLayout.RequestProducer;
        outputConsumer = guest ? RingLayout.RequestConsumer : RingLayout.ResponseConsumer;
        outputProducer = guest ? RingLayout.RequestProducer : RingLayout.ResponseProducer;
    }

    /// <summary>Which end of the page this is.</summary>
    public RingSide Side { get; }

    /// <summary>The server_features field: <see cref="RingLayout.FeatureReconnection"/>, <see cref="RingLayout.FeatureError"/>.</summary>
    public uint ServerFeatures
    {
        get => Load(RingLayout.ServerFeatures);
        set => Store(RingLayout.ServerFeatures, value);
    }

    /// <summary>The connection field: <see cref="RingLayout.Connected"/> or <see cref="RingLayout.Reconnect"/>.</summary>
    public uint Connection
    {
        get => Load(RingLayout.Connection);
        set => Store(RingLayout.Connection, value);
    }

    /// <summary>The error field, set by the daemon before it stops serving the ring.</summary>
    public RingError Error
    {
        get => (RingError)Load(RingLayout.Error);
        set => Store(RingLayout.Error, (uint)value);
    }

    /// <summary>True when both rings' indices are possible (unread bytes ≤ ring size).</summary>
    public bool IndicesValid =>
        Load(RingLayout.RequestProducer) - Load(RingLayout.RequestConsumer) <= RingLayout.RingSize &&
        Load(RingLayout.ResponseProducer) - Load(RingLayout.ResponseConsumer) <= RingLayout.RingSize;

    /// <summary>Bytes waiting to be read, or -1 when the indices are impossible.</summary>
    public int Readable
    {
        get
        {
            var unread = Load(inputProducer) - Load(inputConsumer);
            return unread > RingLayout.RingSize ? -1 : (int)unread;
        }
    }

    /// <summary>Free bytes in the output ring, or -1 when the indices are impossible.</summary>
    public int Writable
    {
        get
        {
            var used = Load(outputProducer) - Load(outputConsumer);
            return used > RingLayout.RingSize ? -1 : RingLayout.RingSize - (int)used;
        }
    }

    /// <summary>
    /// Copies up to <paramref name="destination"/>.Length unread bytes out and releases their
    /// space; returns the count, or -1 for impossible indices.
    /// </summary>
    public int Read(Span<byte> destination)
    {
        var consumer = Load(inputConsumer);
        var producer = Load(inputProducer);
        var unread = producer - consumer;
        if (unread > RingLayout.RingSize) return -1;
        // Read barrier: do not read data before having seen the producer index.
        Interlocked.MemoryBarrier();
        var total = (int)Math.Min(unread, (uint)destination.Length);
        var done = 0;
        while (done < total)
        {
            var offset = (int)((consumer + (uint)done) & (RingLayout.RingSize - 1));
            var chunk = Math.Min(total - done, RingLayout.RingSize - offset);
            new ReadOnlySpan<byte>(page + inputRing + offset, chunk).CopyTo(destination[done..]);
            done += chunk;
        }
        // Full barrier: finish reading before the space is handed back.
        Interlocked.MemoryBarrier();
        Store(inputConsumer, consumer + (uint)total);
        return total;
    }

    /// <summary>
    /// Copies as much of <paramref name="source"/> as fits into the output ring and publishes
    /// it; returns the count, or -1 for impossible indices.
    /// </summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        var consumer = Load(outputConsumer);
        var producer = Load(outputProducer);
        var used = producer - consumer;
        if (used > RingLayout.RingSize) return -1;
        // Full barrier: the slots must not be written before the consumer index was read.
        Interlocked.MemoryBarrier();
        var total = Math.Min(RingLayout.RingSize - (int)used, source.Length);
        var done = 0;
        while (done < total)
        {
            var offset = (int)((producer + (uint)done) & (RingLayout.RingSize - 1));
            var chunk = Math.Min(total - done, RingLayout.RingSize - offset);
            source.Slice(done, chunk).CopyTo(new Span<byte>(page + outputRing + offset, chunk));
            done += chunk;
        }
        // Write barrier: the data is visible before the index that announces it.
        Interlocked.MemoryBarrier();
        Store(outputProducer, producer + (uint)total);
        return total;
    }

    /// <summary>
    /// Empties both rings (daemon side of a reconnect): indices to zero, and the data areas
    /// filled with 0xFF so stale bytes can never decode as a valid message.
    /// </summary>
    public void Reset()
    {
        new Span<byte>(page, RingLayout.RingSize * 2).Fill(0xFF);
        Store(RingLayout.RequestConsumer, 0);
        Store(RingLayout.RequestProducer, 0);
        Store(RingLayout.ResponseConsumer, 0);
        Store(RingLayout.ResponseProducer, 0);
    }

    /// <summary>Raw index access for tests and diagnostics.</summary>
    public uint LoadField(int offset) => Load(offset);

    /// <summary>Raw index store for tests (to play a corrupt peer).</summary>
    public void StoreField(int offset, uint value) => Store(offset, value);

    private uint Load(int offset) => Volatile.Read(ref *(uint*)(page + offset));

    private void Store(int offset, uint value) => Volatile.Write(ref *(uint*)(page + offset), value);
}
