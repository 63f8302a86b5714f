using System.Buffers;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// Replies and watch events queued for one connection, as wire bytes. The daemon appends
/// under its lock; the transport takes everything queued in one piece, so a burst of
/// pipelined requests leaves in one send. Events that wait longer than the connection's
/// event timeout are discarded, as cxenstored does for unprivileged connections.
/// </summary>
internal sealed class OutputBuffer(TimeProvider clock, TimeSpan eventTimeout)
{
    private readonly object gate = new();
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int length;

    /// <summary>The queued messages, oldest first: what a ring has not yet taken, and which are events.</summary>
    private readonly Queue<Queued> messages = new();

    /// <summary>Bytes of the oldest queued message already copied out.</summary>
    private int headCopied;
    private readonly HashSet<(string Path, string Token)> queuedEvents = [];

    /// <summary>True from the first queued byte until a transport finds the queue empty: one sender at a time.</summary>
    private bool scheduled;

    /// <summary>A buffer without an event timeout (privileged connections).</summary>
    public OutputBuffer() : this(TimeProvider.System, TimeSpan.Zero) { }

    /// <summary>Bytes queued and not yet taken by the transport.</summary>
    public int Pending
    {
        get { lock (gate) return length; }
    }

    /// <summary>Messages (replies and events) queued and not yet wholly taken.</summary>
    public int PendingMessages
    {
        get { lock (gate) return messages.Count; }
    }

    /// <summary>Events discarded because they waited longer than the timeout.</summary>
    public long ExpiredEvents { get; private set; }

    /// <summary>Queues one message; true when the transport is idle and must be told.</summary>
    public bool Append(MessageType type, uint reqId, uint txId, ReadOnlySpan<byte> payload)
    {
        lock (gate) return Enqueue(type, reqId, txId, payload, null);
    }

    /// <summary>
    /// Queues a watch event unless the same (path, token) is still queued undelivered, as C
    /// does; true when the transport must be told, as for <see cref="Append"/>.
    /// </summary>
    public bool AppendEvent(string path, string token)
    {
        lock (gate)
        {
            DiscardExpiredLocked();
            if (!queuedEvents.Add((path, token))) return false;
            // The payload ("path\0token\0") is encoded straight into the buffer, not into an array of its own.
            var payloadLength = path.Length + token.Length + 2;
            Ensure(Wire.HeaderSize + payloadLength);
            var payload = buffer.AsSpan(length + Wire.HeaderSize, payloadLength);
            var at = Wire.Encoding.GetBytes(path, payload);
            payload[at++] = 0;
            at += Wire.Encoding.GetBytes(token, payload[at..]);
            payload[at] = 0;
            return Queue(MessageType.WatchEvent, 0, 0, payloadLength, (path, token));
        }
    }

    /// <summary>Drops the events that have waited longer than the timeout; returns how many.</summary>
    public int DiscardExpired()
    {
        lock (gate) return DiscardExpiredLocked();
    }

    /// <summary>
    /// Takes everything queued and marks a send in progress; false (and no longer sending)
    /// when nothing is queued. The caller returns the array with <see cref="Return"/>.
    /// </summary>
    public bool TryTake(out byte[] taken, out int takenLength)
    {
        lock (gate)
        {
            if (length == 0)
            {
                scheduled = false;
                taken = [];
                takenLength = 0;
                return false;
            }
            taken = buffer;
            takenLength = length;
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, Math.Min(takenLength, 1 << 20)));
            length = 0;
            messages.Clear();
            headCopied = 0;
            queuedEvents.Clear();
            return true;
        }
    }

    /// <summary>Copies out as much as fits into <paramref name="destination"/> (a ring); returns the count.</summary>
    public int CopyTo(Span<byte> destination)
    {
        lock (gate)
        {
            var n = Math.Min(destination.Length, length);
            buffer.AsSpan(0, n).CopyTo(destination);
            Buffer.BlockCopy(buffer, n, buffer, 0, length - n);
            length -= n;
            headCopied += n;
            while (messages.Count > 0 && headCopied >= messages.Peek().Length)
            {
                // Wholly in the ring: delivered, so the same event may be queued again.
                var delivered = messages.Dequeue();
                headCopied -= delivered.Length;
                if (delivered.EventKey is { } key) queuedEvents.Remove(key);
            }
            if (length == 0)
            {
                // Drained: the next message must wake the ring's loop again, as it wakes a socket's sender.
                queuedEvents.Clear();
                scheduled = false;
            }
            return n;
        }
    }

    /// <summary>Gives a taken array back to the pool.</summary>
    public static void Return(byte[] taken)
    {
        if (taken.Length > 0) ArrayPool<byte>.Shared.Return(taken);
    }

    /// <summary>Drops everything queued (connection reset).</summary>
    public void Clear()
    {
        lock (gate)
        {
            length = 0;
            messages.Clear();
            headCopied = 0;
            queuedEvents.Clear();
        }
    }

    private bool Enqueue(MessageType type, uint reqId, uint txId, ReadOnlySpan<byte> payload, (string, string)? eventKey)
    {
        Ensure(Wire.HeaderSize + payload.Length);
        payload.CopyTo(buffer.AsSpan(length + Wire.HeaderSize));
        return Queue(type, reqId, txId, payload.Length, eventKey);
    }

    /// <summary>Queues the message whose payload is in place already, after room for its header at the end of the buffer.</summary>
    private bool Queue(MessageType type, uint reqId, uint txId, int payloadLength, (string, string)? eventKey)
    {
        var total = Wire.HeaderSize + payloadLength;
        Wire.WriteHeader(buffer.AsSpan(length), type, reqId, txId, payloadLength);
        length += total;
        messages.Enqueue(new Queued(total, eventTimeout > TimeSpan.Zero ? clock.GetTimestamp() : 0, eventKey));
        if (scheduled) return false;
        scheduled = true;
        return true;
    }

    /// <summary>
    /// Removes expired events that no transport has begun to take. Messages are queued in
    /// time order, so only the stretch of messages older than the timeout is looked at; the
    /// replies in it stay (the outstanding quota bounds those).
    /// </summary>
    private int DiscardExpiredLocked()
    {
        if (eventTimeout <= TimeSpan.Zero || messages.Count == 0) return 0;
        var now = clock.GetTimestamp();
        bool Expired(Queued m) => m.EventKey is not null && clock.GetElapsedTime(m.QueuedAt, now) >= eventTimeout;
        if (!AnyExpired(now)) return 0;

        var kept = ArrayPool<byte>.Shared.Rent(buffer.Length);
        var keptLength = 0;
        var from = 0;
        var dropped = 0;
        var count = messages.Count;
        for (var i = 0; i < count; i++)
        {
            var m = messages.Dequeue();
            // The head may be partly in a ring already: its bytes in the buffer are only its remainder.
            var bytes = i == 0 ? m.Length - headCopied : m.Length;
            if (!(i == 0 && headCopied > 0) && Expired(m))
            {
                queuedEvents.Remove(m.EventKey!.Value);
                dropped++;
            }
            else
            {
                buffer.AsSpan(from, bytes).CopyTo(kept.AsSpan(keptLength));
                keptLength += bytes;
                messages.Enqueue(m);
            }
            from += bytes;
        }
        // A partly taken head is always kept and stays first, so headCopied still describes it.
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = kept;
        length = keptLength;
        ExpiredEvents += dropped;
        return dropped;
    }

    /// <summary>
    /// Whether an event that no transport has begun to take has waited past the timeout, looking
    /// only at the messages queued longer ago than that. Asked before each event is queued, so
    /// it is a plain walk of the queue: the query it was made with cost a few hundred bytes.
    /// </summary>
    private bool AnyExpired(long now)
    {
        var head = true;
        foreach (var m in messages)
        {
            var partlyTaken = head && headCopied > 0;
            head = false;
            if (partlyTaken) continue;
            if (clock.GetElapsedTime(m.QueuedAt, now) < eventTimeout) return false;
            if (m.EventKey is not null) return true;
        }
        return false;
    }

    private void Ensure(int extra)
    {
        if (length + extra <= buffer.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + extra));
        buffer.AsSpan(0, length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
    }

    /// <summary>One queued message: its size on the wire, when it was queued, and for an event its (path, token).</summary>
    private readonly record struct Queued(int Length, long QueuedAt, (string Path, string Token)? EventKey);
}
