using System.Collections.Concurrent;
using System.Diagnostics;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// Requests that find the lock held are run by the thread that holds it, at its next request
/// boundary, instead of by their own thread once the lock is handed over. While one client
/// pipelines writes, another's READ would otherwise wait for the rest of the writer's slice,
/// then for its own thread to be woken and scheduled, which on a machine whose cores are all
/// busy (the writer, the daemon) is where a READ's worst waits came from. The holder is
/// running already, so the READ waits for one request and leaves with the slice it ends.
/// oxenstored gets the same from its single thread, which reads every connection in turn.
/// </summary>
public sealed partial class XenStoreDaemon
{
    /// <summary>Connections whose thread found the lock held and left its reader to the holder.</summary>
    private readonly ConcurrentQueue<DaemonConnection> leftToHolder = new();

    /// <summary>
    /// Takes the lock. When it is held, the whole requests in <paramref name="reader"/> are left
    /// to the holder first (the reader is not touched again until the lock is ours), unless
    /// replies wait for the journal's sync: a holder's slice releases its replies together, and
    /// those of another connection must wait on their own sync, not its.
    /// </summary>
    private void EnterOrLeaveToHolder(DaemonConnection connection, FrameReader reader)
    {
        if (Monitor.TryEnter(Sync)) return;
        if (Journal is not { SyncsEachChange: true })
        {
            Volatile.Write(ref connection.ReaderLeftToHolder, reader);
            leftToHolder.Enqueue(connection);
        }
        Interlocked.Increment(ref requestsWaiting);
        Monitor.Enter(Sync);
        Interlocked.Decrement(ref requestsWaiting);
    }

    /// <summary>
    /// Under the lock: runs the requests other connections left, up to a slice in all; true
    /// when any ran. A reader is run once per time it was left: requests that come later are
    /// its own thread's, as are those left over when the slice ends.
    /// </summary>
    private bool RunRequestsLeftToHolder()
    {
        if (leftToHolder.IsEmpty) return false;
        var ran = false;
        var sliceEnd = Stopwatch.GetTimestamp() + LockSliceTicks;
        while (Stopwatch.GetTimestamp() < sliceEnd && leftToHolder.TryDequeue(out var other))
        {
            // Null when its thread got the lock after leaving it (and ran the requests itself).
            if (other.ReaderLeftToHolder is not { } reader) continue;
            other.ReaderLeftToHolder = null;
            OutputHold? hold = null;
            while (!other.IsClosed && Stopwatch.GetTimestamp() < sliceEnd && reader.TryReadInPlace(out var header, out var payload) == FrameStatus.Message)
            {
                var frame = new RequestFrame(header, payload);
                Dispatch(other, frame);
                Settle(other, frame, ref hold);
                ran = true;
            }
            Debug.Assert(hold is null, "Requests are left to the holder only when no reply waits for a sync.");
        }
        return ran;
    }
}
