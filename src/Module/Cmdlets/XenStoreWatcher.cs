using XenStore.Client;

namespace XenStore.PowerShell;

/// <summary>What a watcher's Changed event carries: the path that changed and the watch's token.</summary>
public sealed class XenStoreWatchEventArgs(string path, string token, DateTime timeGenerated) : EventArgs
{
    public string Path { get; } = path;
    public string Token { get; } = token;
    public DateTime TimeGenerated { get; } = timeGenerated;

    public override string ToString() => Path;
}

/// <summary>
/// A XenStore watch shaped like FileSystemWatcher, for Register-ObjectEvent: the watch is
/// registered while <see cref="EnableRaisingEvents"/> is true (Register-ObjectEvent sets it),
/// and <see cref="Changed"/> is raised for every event, the initial one included. When the
/// connection to the xenstored is lost, <see cref="ConnectionLost"/> is raised once and the
/// watch ends (<see cref="EnableRaisingEvents"/> turns false), as FileSystemWatcher raises
/// Error: no Changed subscriber is left waiting for events that cannot come.
/// </summary>
public sealed class XenStoreWatcher : IDisposable
{
    private readonly XenStoreClient client;
    private readonly object gate = new();
    private EventHandler<XenStoreWatchEventArgs>? changed;
    private XenStoreWatch? watch;
    private bool forwarding;

    internal XenStoreWatcher(XenStoreClient client, string path, string token, string drive)
    {
        this.client = client;
        Path = path;
        Token = token;
        Drive = drive;
    }

    /// <summary>The watched XenStore path (or special name such as @releaseDomain).</summary>
    public string Path { get; }

    /// <summary>The token of the watch.</summary>
    public string Token { get; }

    /// <summary>The drive whose connection carries the watch.</summary>
    public string Drive { get; }

    /// <summary>
    /// Raised once, on a thread pool thread, when the connection carrying the watch is lost; the
    /// watch has ended. Arm it again (EnableRaisingEvents = $true) once the xenstored is back:
    /// the drive reconnects on that request.
    /// </summary>
    public event EventHandler<XenStoreConnectionLostEventArgs>? ConnectionLost;

    /// <summary>Why the watch ended, when a lost connection ended it; null otherwise.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Events dropped because nobody took them fast enough (the queue is bounded).</summary>
    public long DroppedEvents => watch?.DroppedEvents ?? 0;

    /// <summary>
    /// Raised for each event, on a thread pool thread (the engine queues it to the session).
    /// Events wait in the watch's queue until the first handler is attached, so the initial
    /// event is not lost when a subscriber arms the watch before attaching its handler.
    /// </summary>
    public event EventHandler<XenStoreWatchEventArgs>? Changed
    {
        add
        {
            lock (gate)
            {
                changed += value;
                Forward();
            }
        }
        remove
        {
            lock (gate) changed -= value;
        }
    }

    /// <summary>Registers (true) or removes (false) the watch on the daemon.</summary>
    public bool EnableRaisingEvents
    {
        get => watch is { IsActive: true };
        set
        {
            if (value == EnableRaisingEvents) return;
            if (value) Start();
            else Stop();
        }
    }

    /// <summary>Registers the watch; its initial event follows at once.</summary>
    public void Start()
    {
        if (EnableRaisingEvents) return;
        var w = Register();
        lock (gate)
        {
            watch = w;
            forwarding = false;
            Forward();
        }
    }

    /// <summary>Starts passing the watch's events on once there is a watch and someone to tell.</summary>
    private void Forward()
    {
        if (forwarding || watch is null || changed is null) return;
        forwarding = true;
        watch.Changed += (_, e) =>
        {
            EventHandler<XenStoreWatchEventArgs>? handlers;
            lock (gate) handlers = changed;
            handlers?.Invoke(this, new XenStoreWatchEventArgs(e.Path, e.Token, e.TimeGenerated));
        };
    }

    /// <summary>Removes the watch (UNWATCH).</summary>
    public void Stop()
    {
        client.ConnectionLost -= OnConnectionLost;
        var w = watch;
        watch = null;
        if (w is not null && client.IsConnected) w.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The underlying client watch, for the streaming form of Watch-XenStore.</summary>
    internal XenStoreWatch? ClientWatch => watch;

    /// <summary>Registers the watch for reading with <see cref="ClientWatch"/>; <paramref name="cancellationToken"/> (Ctrl+C) abandons the request.</summary>
    internal void StartStreaming(CancellationToken cancellationToken = default) => watch = Register(cancellationToken);

    /// <summary>WATCH, listening for a lost connection first, so a loss during the request is not missed.</summary>
    private XenStoreWatch Register(CancellationToken cancellationToken = default)
    {
        Error = null;
        client.ConnectionLost -= OnConnectionLost;
        client.ConnectionLost += OnConnectionLost;
        try
        {
            return client.WatchAsync(Path, Token, cancellationToken).GetAwaiter().GetResult();
        }
        catch
        {
            client.ConnectionLost -= OnConnectionLost;
            throw;
        }
    }

    /// <summary>Ends the watch locally (its event stream completes, so readers and the Changed pump stop) and tells subscribers why.</summary>
    private void OnConnectionLost(object? sender, XenStoreConnectionException lost)
    {
        client.ConnectionLost -= OnConnectionLost;
        Error = lost;
        var w = watch;
        watch = null;
        // The connection is gone: this only forgets the watch on the client's side.
        if (w is not null) _ = w.DisposeAsync().AsTask();
        ConnectionLost?.Invoke(this, new XenStoreConnectionLostEventArgs(lost, Path, Token));
    }

    public void Dispose() => Stop();

    public override string ToString() => $"{Drive}:{Path} ({Token})";
}
