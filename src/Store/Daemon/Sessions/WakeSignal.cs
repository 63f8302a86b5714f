using System.Threading.Tasks.Sources;

namespace XenStore.Daemon;

/// <summary>
/// Wakes one loop that waits for work, from any thread, without garbage: the wait is a
/// <see cref="ValueTask"/> on this one reusable source. A wake that comes while the loop is busy
/// is kept (once, however many come) and ends its next wait at once, so none is lost. A ring's
/// loop waits once per request a guest sends; SemaphoreSlim.WaitAsync with a timeout and a
/// token made about 470 bytes of garbage per wait.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Woken = 1;
    private const int Waiting = 2;

    /// <summary>Continuations run on the pool, never inline in the thread that wakes (a request's, the event channel's).</summary>
    private ManualResetValueTaskSourceCore<bool> source = new() { RunContinuationsAsynchronously = true };
    private int phase;

    /// <summary>Ends the current wait, or the next one if the loop is not waiting.</summary>
    public void Wake()
    {
        while (true)
        {
            switch (Volatile.Read(ref phase))
            {
                case Woken:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref phase, Woken, Idle) == Idle) return;
                    break;
                default:
                    if (Interlocked.CompareExchange(ref phase, Idle, Waiting) != Waiting) break;
                    source.SetResult(true);
                    return;
            }
        }
    }

    /// <summary>Waits for a wake (one waiter at a time); done at once if one came since the last wait.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref phase, Idle, Woken) == Woken) return ValueTask.CompletedTask;
        // Only the waiter resets, and only while no wake can complete the source.
        source.Reset();
        if (Interlocked.CompareExchange(ref phase, Waiting, Idle) == Idle) return new ValueTask(this, source.Version);
        // Woken between the two steps.
        Volatile.Write(ref phase, Idle);
        return ValueTask.CompletedTask;
    }

    void IValueTaskSource.GetResult(short token) => source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => source.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        source.OnCompleted(continuation, state, token, flags);
}
