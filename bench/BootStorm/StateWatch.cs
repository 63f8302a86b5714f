using XenStore.Client;
using XenStore.Protocol;

/// <summary>
/// A watch on one state node, as libxl's devstate wait and xenbus's "otherend" watch keep one:
/// every event says "look again", so each one is followed by a READ of the node.
/// </summary>
internal sealed class StateWatch : IAsyncDisposable
{
    private readonly XenStoreClient xs;
    private readonly XenStoreWatch watch;
    private readonly MissedEvents missed;
    /// <summary>The read of the next event, kept across a poll so no event is lost to it.</summary>
    private Task<XenStoreWatchEvent?>? nextEvent;

    private StateWatch(XenStoreClient xs, XenStoreWatch watch, string path, MissedEvents missed)
    {
        this.xs = xs;
        this.watch = watch;
        this.missed = missed;
        Path = path;
    }

    public string Path { get; }

    public static async Task<StateWatch> StartAsync(XenStoreClient xs, string path, MissedEvents missed) =>
        new(xs, await xs.WatchAsync(path), path, missed);

    /// <summary>Waits until the node reads <paramref name="state"/> or a later state (states only grow while a device comes up).</summary>
    public async Task WaitForAsync(string state)
    {
        while (true)
        {
            var byEvent = await NextEventOrPollAsync();
            var value = await ReadAsync();
            if (value is not null && string.CompareOrdinal(value, state) >= 0)
            {
                if (!byEvent) missed.Found();
                return;
            }
        }
    }

    /// <summary>True after the next event (the first comes at once when the watch is set), false after a poll interval without one.</summary>
    private async Task<bool> NextEventOrPollAsync()
    {
        nextEvent ??= watch.ReadAsync().AsTask();
        if (await Task.WhenAny(nextEvent, Task.Delay(missed.Poll)) != nextEvent) return false;
        _ = await nextEvent ?? throw new InvalidOperationException($"The watch on {Path} ended.");
        nextEvent = null;
        return true;
    }

    /// <summary>The node's value; null if it does not exist.</summary>
    private async Task<string?> ReadAsync()
    {
        try
        {
            return await xs.ReadStringAsync(Path);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => xs.UnwatchAsync(watch);
}
