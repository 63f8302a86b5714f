using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using XenStore.Protocol;
using XenStore.Transport;

namespace XenStore.Client;

/// <summary>
/// A XenStore client for any xenstored: ours, cxenstored, oxenstored, over a Unix socket, the
/// xenbus device, a ring or in-process. Many requests may be in flight on one connection;
/// replies are matched by req_id, watch events are routed by token, and requests queued
/// together leave in one write. Thread-safe.
/// </summary>
public sealed partial class XenStoreClient : XenStoreOperations, IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<uint, Pending> pending = new();
    private readonly ConcurrentDictionary<string, XenStoreWatch> watches = new(StringComparer.Ordinal);
    private readonly Func<CancellationToken, ValueTask<IXenStoreTransport>>? reconnect;
    private readonly object stateGate = new();
    private readonly SemaphoreSlim reconnecting = new(1, 1);
    private IXenStoreTransport transport;
    private Channel<byte[]> outgoing;
    private CancellationTokenSource running;
    private Task readLoop;
    private Task writeLoop;
    private int nextRequestId;
    private int nextWatchToken;
    private Exception? failure;
    private bool disposed;

    private XenStoreClient(IXenStoreTransport transport, Func<CancellationToken, ValueTask<IXenStoreTransport>>? reconnect)
        : base(null, 0)
    {
        this.transport = transport;
        this.reconnect = reconnect;
        (outgoing, running, readLoop, writeLoop) = Start(transport);
    }

    /// <summary>The transport now in use ("socket /run/xenstored/socket"...).</summary>
    public string Description => transport.Description;

    /// <summary>True until the connection is lost or the client disposed.</summary>
    public bool IsConnected => failure is null;

    /// <summary>Requests sent and not yet answered.</summary>
    public int PendingRequests => pending.Count;

    /// <summary>
    /// How long a request waits for its reply before it fails with a <see cref="TimeoutException"/>
    /// (default: for ever, as libxenstore waits). A reply that comes later is dropped; on a
    /// transport that matches replies by order (old xenbus devices) the connection is given up
    /// instead, since a late reply could be taken for the next one.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Capacity of each watch's event queue (see <see cref="XenStoreWatch"/>).</summary>
    public int WatchQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// When true, a request made after the connection was lost first reopens it once (as
    /// <see cref="ReconnectAsync"/> does, watches registered again), so a client outlives a
    /// xenstored restart; if that fails, the request fails with <see cref="XenStoreConnectionException"/>
    /// and the next one tries again. Requests that were waiting when the connection went still
    /// fail (they may or may not have been applied), and transactions of the old connection are
    /// gone. Default false: a lost connection stays lost until <see cref="ReconnectAsync"/>.
    /// </summary>
    public bool AutoReconnect { get; set; }

    /// <summary>Raised once when the connection is lost (not on dispose).</summary>
    public event EventHandler<XenStoreConnectionException>? ConnectionLost;

    /// <summary>A client over a transport that is already connected.</summary>
    public static XenStoreClient Create(IXenStoreTransport transport, Func<CancellationToken, ValueTask<IXenStoreTransport>>? reconnect = null) =>
        new(transport, reconnect);

    /// <summary>Connects to a xenstored's Unix socket (default: XENSTORED_PATH, XENSTORED_RUNDIR/socket, /var/run/xenstored/socket).</summary>
    public static async Task<XenStoreClient> ConnectSocketAsync(string? socketPath = null, CancellationToken cancellationToken = default)
    {
        var path = socketPath ?? UnixSocketTransport.DefaultPath;
        var transport = await UnixSocketTransport.ConnectAsync(path, cancellationToken).ConfigureAwait(false);
        return new XenStoreClient(transport, async ct => await UnixSocketTransport.ConnectAsync(path, ct).ConfigureAwait(false));
    }

    /// <summary>Opens the xenbus device (default /dev/xen/xenbus, else /proc/xen/xenbus).</summary>
    public static XenStoreClient ConnectXenbus(string? devicePath = null) =>
        new(XenbusTransport.Open(devicePath), _ => ValueTask.FromResult<IXenStoreTransport>(XenbusTransport.Open(devicePath)));

    /// <summary>
    /// Connects the way libxenstore does: the socket XENSTORED_PATH (or XENSTORED_RUNDIR) names,
    /// and only that; without either, the standard socket if it answers, else the xenbus device.
    /// Fails with a <see cref="XenStoreConnectionException"/> naming the path and the reason.
    /// </summary>
    public static async Task<XenStoreClient> ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (UnixSocketTransport.ConfiguredPath is { } configured)
        {
            try
            {
                return await ConnectSocketAsync(configured, cancellationToken).ConfigureAwait(false);
            }
            catch (XenStoreConnectionException e)
            {
                throw new XenStoreConnectionException($"{UnixSocketTransport.ConfiguredBy} names {configured}, which cannot be reached: {e.Message}", e.InnerException ?? e);
            }
        }
        try
        {
            return await ConnectSocketAsync(UnixSocketTransport.StandardPath, cancellationToken).ConfigureAwait(false);
        }
        catch (XenStoreConnectionException socketError)
        {
            if (XenbusTransport.DefaultPath is { } device) return ConnectXenbus(device);
            throw new XenStoreConnectionException($"No xenstored found: {socketError.Message}, and there is no xenbus device.", socketError.InnerException ?? socketError);
        }
    }

    /// <summary>
    /// Sends one request and returns its reply, or throws <see cref="XenStoreException"/> for an
    /// error reply. After a lost connection it fails with <see cref="XenStoreConnectionException"/>,
    /// unless <see cref="AutoReconnect"/> reopens the connection first.
    /// </summary>
    public Task<Message> RequestAsync(MessageType type, uint transactionId, byte[] payload, string? path = null, CancellationToken cancellationToken = default) =>
        RequestAsync(type, transactionId, payload, path, AutoReconnect, cancellationToken);

    private async Task<Message> RequestAsync(MessageType type, uint transactionId, byte[] payload, string? path, bool mayReconnect, CancellationToken cancellationToken)
    {
        if (payload.Length > Wire.PayloadMax || (transport.OneMessagePerWrite && payload.Length + Wire.HeaderSize > XenbusTransport.MaxMessage))
            throw new XenStoreException(XenStoreErrorCode.E2BIG, "E2BIG", path, $"XenStore E2BIG: a {type} request of {payload.Length} bytes exceeds the protocol's limit.");
        if (failure is { } lost)
        {
            if (!mayReconnect || reconnect is null || lost is ObjectDisposedException) throw Lost(lost);
            await ReconnectAfterLossAsync(lost, cancellationToken).ConfigureAwait(false);
        }
        var id = (uint)Interlocked.Increment(ref nextRequestId);
        var waiter = new Pending(type, path);
        pending[id] = waiter;
        var bytes = new byte[Wire.HeaderSize + payload.Length];
        Wire.WriteHeader(bytes, type, id, transactionId, payload.Length);
        payload.CopyTo(bytes, Wire.HeaderSize);
        if (!outgoing.Writer.TryWrite(bytes))
        {
            pending.TryRemove(id, out _);
            throw Lost(failure ?? new ObjectDisposedException(nameof(XenStoreClient)));
        }
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(() => { if (pending.TryRemove(id, out var p)) p.Completion.TrySetCanceled(cancellationToken); })
            : default;
        var reply = await AwaitReply(id, waiter, cancellationToken).ConfigureAwait(false);
        if (reply.Type == MessageType.Error)
        {
            var name = Wire.Decode(reply.Payload).TrimEnd('\0');
            throw new XenStoreException(XenStoreErrors.Parse(name), name, path);
        }
        return reply;
    }

    private async Task<Message> AwaitReply(uint id, Pending waiter, CancellationToken cancellationToken)
    {
        var timeout = RequestTimeout;
        if (timeout == Timeout.InfiniteTimeSpan) return await waiter.Completion.Task.ConfigureAwait(false);
        try
        {
            return await waiter.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (pending.TryRemove(id, out _))
        {
            var t = transport;
            var timedOut = new TimeoutException($"No reply from the xenstored ({t.Description}) to {waiter.Type} {waiter.Path} within {timeout.TotalSeconds:0.###} s.");
            if (t.TolerantReplyMatching) Fail(t, timedOut);
            throw timedOut;
        }
    }

    /// <summary>Sends a request made of string arguments; returns the reply payload as UTF-8 text without its final NUL.</summary>
    public async Task<string> RequestStringAsync(MessageType type, CancellationToken cancellationToken, params string[] args)
    {
        var reply = await RequestAsync(type, 0, Payloads.Strings(args), null, cancellationToken).ConfigureAwait(false);
        return Wire.DecodeText(reply.Payload).TrimEnd('\0');
    }

    private (Channel<byte[]>, CancellationTokenSource, Task, Task) Start(IXenStoreTransport t)
    {
        var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var cts = new CancellationTokenSource();
        var reader = Task.Run(() => ReadLoopAsync(t, cts.Token));
        var writer = Task.Run(() => WriteLoopAsync(t, channel.Reader, cts.Token));
        return (channel, cts, reader, writer);
    }

    /// <summary>Sends queued requests, coalescing whatever is waiting into one write (unless the transport forbids it).</summary>
    private async Task WriteLoopAsync(IXenStoreTransport t, ChannelReader<byte[]> queue, CancellationToken cancellationToken)
    {
        var batch = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (t.OneMessagePerWrite)
                {
                    while (queue.TryRead(out var one)) await t.SendAsync(one, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                batch.Clear();
                while (batch.WrittenCount < 256 * 1024 && queue.TryRead(out var message)) batch.Write(message);
                await t.SendAsync(batch.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            Fail(t, ex);
        }
    }

    private async Task ReadLoopAsync(IXenStoreTransport t, CancellationToken cancellationToken)
    {
        // Replies beyond the protocol's 4096 bytes are accepted: oxenstored sends them for big directories.
        var reader = new FrameReader(64 * 1024, maxPayload: 16 << 20);
        try
        {
            while (true)
            {
                var n = await t.ReceiveAsync(reader.GetWriteMemory(), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new IOException($"{t.Description}: the xenstored closed the connection.");
                reader.Commit(n);
                FrameStatus status;
                while ((status = reader.TryRead(out var message)) == FrameStatus.Message) Dispatch(t, message!);
                if (status == FrameStatus.Oversize) throw new InvalidDataException($"{t.Description}: the xenstored sent a message longer than the protocol allows.");
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            Fail(t, ex);
        }
    }

    /// <summary>A reply goes to the request with its req_id; an event to the watch with its token.</summary>
    private void Dispatch(IXenStoreTransport t, Message message)
    {
        if (message.Type == MessageType.WatchEvent)
        {
            var parts = Payloads.Split(message.Payload);
            if (parts.Count >= 2 && watches.TryGetValue(parts[1], out var watch))
                watch.Deliver(new XenStoreWatchEvent(parts[0], parts[1], DateTime.Now));
            return;
        }
        if (pending.TryRemove(message.ReqId, out var waiter))
        {
            waiter.Completion.TrySetResult(message);
            return;
        }
        // The xenbus device of old kernels does not always echo req_id: the reply is for the
        // oldest request still waiting, since the daemon answers in order.
        if (t.TolerantReplyMatching && !pending.IsEmpty)
        {
            var oldest = pending.Keys.Min();
            if (pending.TryRemove(oldest, out waiter)) waiter.Completion.TrySetResult(message);
        }
    }

    private void Fail(IXenStoreTransport t, Exception cause)
    {
        XenStoreConnectionException lost;
        lock (stateGate)
        {
            if (!ReferenceEquals(t, transport) || failure is not null) return;
            failure = cause;
            lost = Lost(cause);
            outgoing.Writer.TryComplete();
        }
        foreach (var id in pending.Keys.ToList())
            if (pending.TryRemove(id, out var waiter)) waiter.Completion.TrySetException(lost);
        if (cause is not ObjectDisposedException) ConnectionLost?.Invoke(this, lost);
    }

    private XenStoreConnectionException Lost(Exception cause) =>
        cause as XenStoreConnectionException ?? new XenStoreConnectionException($"The connection to the xenstored ({transport.Description}) is lost: {cause.Message}", cause);

    /// <summary>
    /// Opens a new connection the way the first was opened and registers every watch again
    /// (each fires its initial event again: watches may always fire spuriously). Requests
    /// that were waiting on the old connection have already failed.
    /// </summary>
    public async Task ReconnectAsync(CancellationToken cancellationToken = default)
    {
        if (reconnect is null) throw new InvalidOperationException("This client was created over a transport that cannot be reopened.");
        // A disposed client opens nothing: its connection would have no owner to close it.
        lock (stateGate) ObjectDisposedException.ThrowIf(disposed, this);
        var fresh = await reconnect(cancellationToken).ConfigureAwait(false);
        IXenStoreTransport? old = null;
        CancellationTokenSource? oldRunning = null;
        Task oldLoops = Task.CompletedTask;
        lock (stateGate)
        {
            if (!disposed)
            {
                (old, oldRunning, oldLoops) = (transport, running, Task.WhenAll(readLoop, writeLoop));
                oldRunning.Cancel();
                transport = fresh;
                failure = null;
                (outgoing, running, readLoop, writeLoop) = Start(fresh);
            }
        }
        if (old is null || oldRunning is null)
        {
            // Disposed while the new connection was being opened: it is this call's to close.
            await fresh.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(XenStoreClient));
        }
        await old.DisposeAsync().ConfigureAwait(false);
        // The old loops watch the old token until they end; only then may its source go.
        try { await oldLoops.ConfigureAwait(false); } catch (Exception) { }
        oldRunning.Dispose();
        // Not through AutoReconnect: a connection lost again here is this reconnect's failure.
        foreach (var watch in watches.Values)
            await RequestAsync(MessageType.Watch, 0, Payloads.Strings(watch.Path, watch.Token), watch.Path, mayReconnect: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One reconnect for the requests that find the connection lost: the first reconnects, the others wait and go on.</summary>
    private async Task ReconnectAfterLossAsync(Exception lost, CancellationToken cancellationToken)
    {
        await reconnecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (failure is null) return;
            if (failure is ObjectDisposedException) throw Lost(failure);
            try
            {
                await ReconnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new XenStoreConnectionException($"The connection to the xenstored ({Description}) is lost ({lost.Message}) and could not be reopened: {ex.Message}", ex);
            }
        }
        finally
        {
            reconnecting.Release();
        }
    }

    /// <summary>
    /// Closes the connection: watches end, and requests still waiting fail with
    /// <see cref="ObjectDisposedException"/>. Calling it again does nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (stateGate)
        {
            if (disposed) return;
            disposed = true;
            if (failure is null) failure = new ObjectDisposedException(nameof(XenStoreClient));
            outgoing.Writer.TryComplete();
        }
        foreach (var watch in watches.Values) watch.Complete();
        watches.Clear();
        await running.CancelAsync().ConfigureAwait(false);
        await transport.DisposeAsync().ConfigureAwait(false);
        var closed = Lost(new ObjectDisposedException(nameof(XenStoreClient), "The client was disposed."));
        foreach (var id in pending.Keys.ToList())
            if (pending.TryRemove(id, out var waiter)) waiter.Completion.TrySetException(closed);
        try { await Task.WhenAll(readLoop, writeLoop).ConfigureAwait(false); } catch (Exception) { }
        running.Dispose();
    }

    /// <summary>Closes the connection, as <see cref="DisposeAsync"/> does, and waits for it.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class Pending(MessageType type, string? path)
    {
        public MessageType Type { get; } = type;
        public string? Path { get; } = path;
        public TaskCompletionSource<Message> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private string NewToken() => "xsps-" + Interlocked.Increment(ref nextWatchToken).ToString(CultureInfo.InvariantCulture);
}
