using System.Runtime.CompilerServices;

namespace XenStore.Client;

/// <summary>
/// A registered watch. Its events (the initial one included) wait in a bounded, coalescing
/// queue; take them with <see cref="ReadAllAsync"/>, or attach <see cref="Changed"/>
/// handlers, which a pump of their own calls so a slow handler never stalls the connection.
/// Use one style or the other for a given watch.
/// </summary>
public sealed class XenStoreWatch : IAsyncDisposable
{
    private readonly XenStoreClient client;
    private readonly EventQueue queue;
    private EventHandler<XenStoreWatchEvent>? changed;
    private Task? pump;

    internal XenStoreWatch(XenStoreClient client, string path, string token, int capacity)
    {
        this.client = client;
        Path = path;
        Token = token;
        queue = new EventQueue(capacity);
    }

    /// <summary>The watched path as registered (relative paths stay relative), or a special name.</summary>
    public string Path { get; }

    /// <summary>The token that routes this watch's events.</summary>
    public string Token { get; }

    /// <summary>Events dropped because the queue was full (duplicates first, then the oldest).</summary>
    public long DroppedEvents => queue.Dropped;

    /// <summary>True until disposed.</summary>
    public bool IsActive { get; private set; } = true;

    /// <summary>Raised for each event, on a thread of its own (never the connection's reader).</summary>
    public event EventHandler<XenStoreWatchEvent>? Changed
    {
        add
        {
            lock (queue)
            {
                changed += value;
                pump ??= Task.Run(PumpAsync);
            }
        }
        remove
        {
            lock (queue) changed -= value;
        }
    }

    /// <summary>The next event; null once the watch is disposed and drained.</summary>
    public ValueTask<XenStoreWatchEvent?> ReadAsync(CancellationToken cancellationToken = default) => queue.TakeAsync(cancellationToken);

    /// <summary>Every event until the watch is disposed or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<XenStoreWatchEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await queue.TakeAsync(cancellationToken).ConfigureAwait(false) is { } e) yield return e;
    }

    internal void Deliver(XenStoreWatchEvent e) => queue.Add(e);

    /// <summary>Stops delivery locally (the daemon side is handled by the caller).</summary>
    internal void Complete()
    {
        IsActive = false;
        queue.Complete();
    }

    private async Task PumpAsync()
    {
        while (await queue.TakeAsync(CancellationToken.None).ConfigureAwait(false) is { } e)
        {
            EventHandler<XenStoreWatchEvent>? handlers;
            lock (queue) handlers = changed;
            handlers?.Invoke(this, e);
        }
    }

    /// <summary>Unregisters the watch (UNWATCH) and ends its event stream.</summary>
    public ValueTask DisposeAsync() => client.UnwatchAsync(this);

    /// <summary>"path (token)".</summary>
    public override string ToString() => $"{Path} ({Token})";
}
