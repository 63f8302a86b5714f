namespace XenStore.Protocol;

/// <summary>
/// Reassembles whole messages from a byte stream that arrives in arbitrary pieces
/// (socket reads, ring chunks). A header announcing more than <see cref="Wire.PayloadMax"/>
/// bytes is a protocol violation: the stream cannot be trusted after it.
/// </summary>
public sealed class FrameReader
{
    private readonly int maxPayload;
    private byte[] buffer;
    private int start;
    private int end;

    /// <summary>
    /// <paramref name="maxPayload"/> is the largest payload accepted: the protocol's 4096 for a
    /// daemon reading requests; a client may allow more, because oxenstored sends DIRECTORY
    /// replies beyond the limit instead of E2BIG.
    /// </summary>
    public FrameReader(int initialCapacity = 8192, int maxPayload = Wire.PayloadMax)
    {
        this.maxPayload = maxPayload;
        buffer = new byte[Math.Max(initialCapacity, Wire.HeaderSize + Wire.PayloadMax)];
    }

    /// <summary>Free space to receive into; call <see cref="Commit"/> with the count written.</summary>
    public Memory<byte> GetWriteMemory()
    {
        var needed = Wire.HeaderSize + Wire.PayloadMax;
        if (end - start >= Wire.HeaderSize)
        {
            var length = Wire.ReadHeader(buffer.AsSpan(start)).Length;
            if (length <= (uint)maxPayload) needed = Math.Max(needed, Wire.HeaderSize + (int)length);
        }
        if (buffer.Length - end < needed && start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (buffer.Length - start < needed)
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, start + needed));
        return buffer.AsMemory(end);
    }

    /// <summary>Records that <paramref name="count"/> bytes were written into <see cref="GetWriteMemory"/>.</summary>
    public void Commit(int count) => end += count;

    /// <summary>Copies bytes in (for callers that do not receive into <see cref="GetWriteMemory"/>).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (buffer.Length - end < data.Length)
        {
            // Several whole messages may arrive at once: keep them all until they are read.
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
            if (buffer.Length - end < data.Length) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, end + data.Length));
        }
        data.CopyTo(buffer.AsSpan(end));
        end += data.Length;
    }

    /// <summary>Bytes received but not yet returned as messages.</summary>
    public int Buffered => end - start;

    /// <summary>
    /// Takes the next whole message. Returns <see cref="FrameStatus.Incomplete"/> until one is
    /// buffered, and <see cref="FrameStatus.Oversize"/> (consuming nothing) for a bad header.
    /// </summary>
    public FrameStatus TryRead(out Message? message)
    {
        var status = TryReadInPlace(out var header, out var payload);
        message = status == FrameStatus.Message ? new Message(header.Type, header.ReqId, header.TxId, payload.ToArray()) : null;
        return status;
    }

    /// <summary>
    /// <see cref="TryRead"/> without the copy: <paramref name="payload"/> lies in the reader's
    /// buffer and holds only until the reader is next used. The daemon finishes each request
    /// before it reads the next, so a copy and a <see cref="Message"/> per request would be
    /// garbage for the collector and nothing else.
    /// </summary>
    internal FrameStatus TryReadInPlace(out MessageHeader header, out ReadOnlyMemory<byte> payload)
    {
        header = default;
        payload = default;
        var available = end - start;
        if (available < Wire.HeaderSize) return FrameStatus.Incomplete;
        header = Wire.ReadHeader(buffer.AsSpan(start));
        if (header.Length > (uint)maxPayload) return FrameStatus.Oversize;
        var total = Wire.HeaderSize + (int)header.Length;
        if (available < total) return FrameStatus.Incomplete;
        // Emptying the reader only moves its indices: the bytes stay until the next write.
        payload = buffer.AsMemory(start + Wire.HeaderSize, (int)header.Length);
        start += total;
        if (start == end) start = end = 0;
        return FrameStatus.Message;
    }
}

/// <summary>Outcome of <see cref="FrameReader.TryRead"/>.</summary>
public enum FrameStatus
{
    /// <summary>A whole message was read.</summary>
    Message,
    /// <summary>More bytes are needed for the next message.</summary>
    Incomplete,
    /// <summary>The next message's header claims more payload than the reader accepts.</summary>
    Oversize,
}
