using System.Diagnostics.CodeAnalysis;

namespace XenStore.Client;

/// <summary>
/// A bounded queue of watch events (XSA-349: a flood must not exhaust the client). When it is
/// full, an event for a path already waiting is dropped as a duplicate (XenStore events say
/// "look again", not "this is the new value"); otherwise the oldest event goes. Drops are counted.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to release, and a reader may still be waiting on it when the watch closes.")]
internal sealed class EventQueue(int capacity)
{
    private readonly LinkedList<XenStoreWatchEvent> events = new();
    private readonly Dictionary<string, int> waitingPaths = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim available = new(0);
    private bool completed;

    public long Dropped { get; private set; }

    public void Add(XenStoreWatchEvent e)
    {
        lock (events)
        {
            if (completed) return;
            if (events.Count >= capacity)
            {
                if (waitingPaths.ContainsKey(e.Path))
                {
                    Dropped++;
                    return;
                }
                Forget(events.First!.Value);
                events.RemoveFirst();
                Dropped++;
            }
            else
            {
                available.Release();
            }
            events.AddLast(e);
            waitingPaths[e.Path] = waitingPaths.GetValueOrDefault(e.Path) + 1;
        }
    }

    /// <summary>Ends the stream: readers finish once the queue is empty.</summary>
    public void Complete()
    {
        lock (events)
        {
            completed = true;
            available.Release();
        }
    }

    /// <summary>The next event, or null once completed and empty.</summary>
    public async ValueTask<XenStoreWatchEvent?> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (events)
            {
                if (events.Count > 0)
                {
                    var e = events.First!.Value;
                    events.RemoveFirst();
                    Forget(e);
                    return e;
                }
                if (completed)
                {
                    available.Release();
                    return null;
                }
            }
            await available.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Forget(XenStoreWatchEvent e)
    {
        if (waitingPaths[e.Path] == 1) waitingPaths.Remove(e.Path);
        else waitingPaths[e.Path]--;
    }
}
