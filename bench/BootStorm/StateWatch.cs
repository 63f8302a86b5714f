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

    private StateWatch(XenStoreClient xs, XenStoreWatch watch, string path)
    {
        this.xs = xs;
        this.watch = watch;
        Path = path;
    }

    public string Path { get; }

    public static async Task<StateWatch> StartAsync(XenStoreClient xs, string path) =>
        new(xs, await xs.WatchAsync(path), path);

    /// <summary>The node's value after the next event (the first comes at once when the watch is set); null if it does not exist.</summary>
    public async Task<string?> NextAsync()
    {
        _ = await watch.ReadAsync() ?? throw new InvalidOperationException($"The watch on {Path} ended.");
        try
        {
            return await xs.ReadStringAsync(Path);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
        {
            return null;
        }
    }

    /// <summary>Waits until the node reads <paramref name="state"/> or a later state (states only grow while a device comes up).</summary>
    public async Task WaitForAsync(string state)
    {
        while (true)
        {
            var value = await NextAsync();
            if (value is not null && string.CompareOrdinal(value, state) >= 0) return;
        }
    }

    public ValueTask DisposeAsync() => xs.UnwatchAsync(watch);
}
