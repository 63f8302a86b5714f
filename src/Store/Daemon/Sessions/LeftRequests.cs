using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// A connection's requests left to the daemon lock's holder while the lock was taken: the
/// reader holding them, and how the run ended, which the connection's thread waits for
/// instead of for the lock. The reader is set by the connection's thread before it queues the
/// connection (the queue publishes it) and otherwise read and cleared under the daemon lock;
/// the wait and its signal have a gate of their own.
/// </summary>
internal sealed class LeftRequests
{
    private readonly object gate = new();
    private bool run;

    /// <summary>The reader left, until the holder takes it or the connection's own thread takes it back (under the daemon lock).</summary>
    public FrameReader? Reader { get; set; }

    /// <summary>How the reader stood when the holder had run all its whole requests.</summary>
    public FrameStatus Status { get; private set; }

    /// <summary>Leaves <paramref name="reader"/>; the caller then queues the connection for the holder.</summary>
    public void Leave(FrameReader reader)
    {
        lock (gate) run = false;
        Reader = reader;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the holder to have run every whole request left; true when it has.</summary>
    public bool WaitRun(TimeSpan timeout)
    {
        lock (gate)
        {
            if (!run) Monitor.Wait(gate, timeout);
            return run;
        }
    }

    /// <summary>The holder ran every whole request (or the connection closed): the waiting thread may go on without the lock.</summary>
    public void MarkRun(FrameStatus status)
    {
        Reader = null;
        Status = status;
        lock (gate)
        {
            run = true;
            Monitor.Pulse(gate);
        }
    }
}
