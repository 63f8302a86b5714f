using System.Buffers.Binary;
using XenStore.Transport;

/// <summary>
/// A transport that counts the messages the client sends through it (requests: a client sends
/// nothing else), so a storm can report the daemon's CPU per request and how many requests
/// the EAGAIN retries cost. The client hands it whole messages, so the headers can be walked.
/// </summary>
internal sealed class CountingTransport(IXenStoreTransport inner) : IXenStoreTransport
{
    private static long sent;

    /// <summary>Messages sent through every counting transport of this process so far.</summary>
    public static long Sent => Interlocked.Read(ref sent);

    public string Description => inner.Description;
    public bool OneMessagePerWrite => inner.OneMessagePerWrite;
    public bool TolerantReplyMatching => inner.TolerantReplyMatching;

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // Header: type, req_id, tx_id, len (little-endian uint32 each), then len bytes.
        var n = 0;
        for (var span = data.Span; span.Length >= 16; n++)
            span = span[(int)Math.Min((uint)span.Length, 16 + BinaryPrimitives.ReadUInt32LittleEndian(span[12..]))..];
        Interlocked.Add(ref sent, n);
        return inner.SendAsync(data, cancellationToken);
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) => inner.ReceiveAsync(buffer, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
