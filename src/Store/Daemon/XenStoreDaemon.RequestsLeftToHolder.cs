using System.Collections.Concurrent;
using System.Diagnostics;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// Requests that find the lock held are run by the thread that holds it, at its next request
/// boundary, and their thread waits for that run rather than for the lock. While one client
/// pipelines writes, another's READ would otherwise wait for the rest of the writer's slice,
/// then for its thread to be handed the lock, woken and scheduled: on two busy cores the lock
/// passed it over for milliseconds at a time (its waiter was not woken while the writer's
/// thread released and took the lock again between slices). The holder is running already, so
/// the READ waits for one request and its reply leaves with the slice it ends. oxenstored gets
/// the same from its single thread, which reads every connection in turn.
/// </summary>
public sealed partial class XenStoreDaemon
{
    /// <summary>
    /// How often a thread whose requests were left looks whether the lock came free: when its
    /// holder is not running requests (a timer, a ring's event), nobody runs them for it.
    /// </summary>
    private static readonly TimeSpan LeftRequestsPoll = TimeSpan.FromMilliseconds(1);

    /// <summary>Connections whose thread found the lock held and left its requests to the holder.</summary>
    private readonly ConcurrentQueue<DaemonConnection> leftToHolder = new();

    /// <summary>
    /// Takes the lock (true), or leaves the whole requests in <paramref name="reader"/> to the
    /// holder and returns false once it has run them all (their end is in
    /// <see cref="LeftRequests.Status"/>); the reader is not touched again until then. Not when
    /// replies wait for the journal's sync: a holder's slice releases its replies together, and
    /// those of another connection must wait on their own sync, not its.
    /// </summary>
    private bool EnterOrLeaveToHolder(DaemonConnection connection, FrameReader reader)
    {
        if (Monitor.TryEnter(Sync)) return true;
        if (Journal is { SyncsEachChange: true })
        {
            Interlocked.Increment(ref requestsWaiting);
            Monitor.Enter(Sync);
            Interlocked.Decrement(ref requestsWaiting);
            return true;
        }
        connection.Left.Leave(reader);
        leftToHolder.Enqueue(connection);
        while (!connection.Left.WaitRun(LeftRequestsPoll))
            // The caller takes back what is left, under the lock.
            if (Monitor.TryEnter(Sync)) return true;
        return false;
    }

    /// <summary>
    /// Under the lock: runs the requests other connections left, up to a slice in all; true
    /// when any ran. A connection whose requests do not all fit stays queued for the next boundary.
    /// </summary>
    private bool RunRequestsLeftToHolder()
    {
        if (leftToHolder.IsEmpty) return false;
        var ran = false;
        var sliceEnd = Stopwatch.GetTimestamp() + LockSliceTicks;
        while (Stopwatch.GetTimestamp() < sliceEnd && leftToHolder.TryDequeue(out var other))
        {
            // Null when its thread got the lock meanwhile, and ran the requests itself.
            if (other.Left.Reader is not { } reader) continue;
            OutputHold? hold = null;
            FrameStatus status;
            while (true)
            {
                if (other.IsClosed)
                {
                    status = FrameStatus.Incomplete;
                    break;
                }
                if (Stopwatch.GetTimestamp() >= sliceEnd)
                {
                    // Perhaps more whole requests: the next boundary goes on with them.
                    status = FrameStatus.Message;
                    leftToHolder.Enqueue(other);
                    break;
                }
                status = reader.TryReadInPlace(out var header, out var payload);
                if (status != FrameStatus.Message) break;
                var frame = new RequestFrame(header, payload);
                Dispatch(other, frame);
                Settle(other, frame, ref hold);
                ran = true;
            }
            Debug.Assert(hold is null, "Requests are left to the holder only when no reply waits for a sync.");
            if (status != FrameStatus.Message) other.Left.MarkRun(status);
        }
        return ran;
    }

    /// <summary>After a thread's last slice: runs what others left meanwhile, while the lock is free (else its holder runs it).</summary>
    private void RunLeftRequestsWhileFree()
    {
        while (!leftToHolder.IsEmpty && Monitor.TryEnter(Sync))
        {
            try
            {
                RunRequestsLeftToHolder();
            }
            finally
            {
                Monitor.Exit(Sync);
            }
            NotifyOutputReady();
        }
    }
}
