using System.Buffers;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// Replies and watch events queued for one connection, as wire bytes. The daemon appends
/// under its lock; the transport takes everything queued in one piece, so a burst of
/// pipelined requests leaves in one send.
/// </summary>
internal sealed class OutputBuffer
{
    private readonly object gate = new();
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int length;

    /// <summary>Lengths of the queued messages, oldest first, to count what a ring has not yet taken.</summary>
    private readonly Queue<int> messageLengths = new();

    /// <summary>Bytes of the oldest queued message already copied out.</summary>
    private int headCopied;
    private readonly HashSet<(string Path, string Token)> queuedEvents = [];

    /// <summary>True from the first queued byte until a transport finds the queue empty: one sender at a time.</summary>
    private bool scheduled;

    /// <summary>Bytes queued and not yet taken by the transport.</summary>
    public int Pending
    {
        get { lock (gate) return length; }
    }

    /// <summary>Messages (replies and events) queued and not yet wholly taken.</summary>
    public int PendingMessages
    {
        get { lock (gate) return messageLengths.Count; }
    }

    /// <summary>Queues one message; true when the transport is idle and must be told.</summary>
    public bool Append(MessageType type, uint reqId, uint txId, ReadOnlySpan<byte> payload)
    {
        lock (gate)
        {
            var total = Wire.HeaderSize + payload.Length;
            Ensure(total);
            Wire.WriteHeader(buffer.AsSpan(length), type, reqId, txId, payload.Length);
            payload.CopyTo(buffer.AsSpan(length + Wire.HeaderSize));
            length += total;
            messageLengths.Enqueue(total);
            if (scheduled) return false;
            scheduled = true;
            return true;
        }
    }

    /// <summary>
    /// Queues a watch event unless the same (path, token) is still queued undelivered, as C
    /// does; true when the transport must be told, as for <see cref="Append"/>.
    /// </summary>
    public bool AppendEvent(string path, string token)
    {
        lock (gate)
        {
            if (!queuedEvents.Add((path, token))) return false;
            return Append(MessageType.WatchEvent, 0, 0, Payloads.Strings(path, token));
        }
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
            messageLengths.Clear();
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
            while (messageLengths.Count > 0 && headCopied >= messageLengths.Peek()) headCopied -= messageLengths.Dequeue();
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
            messageLengths.Clear();
            headCopied = 0;
            queuedEvents.Clear();
        }
    }

    private void Ensure(int extra)
    {
        if (length + extra <= buffer.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + extra));
        buffer.AsSpan(0, length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
    }
}
