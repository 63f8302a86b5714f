using XenStore.Protocol;
using XenStore.Ring;

namespace XenStore.Daemon;

/// <summary>
/// Serves one introduced domain on its ring, as an unprivileged connection of that domain.
/// A single loop owns the page: it wakes on the event channel, on output queued for the
/// domain (its replies, events from others) and once a second in case a notification was
/// lost. A guest that does not read its replies is throttled by not reading its requests;
/// one that corrupts its indices or sends an oversize message is told so in the error field
/// and no longer served, and harms nobody else.
/// </summary>
internal sealed class RingSession : IDisposable
{
    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(1);

    private readonly XenStoreDaemon daemon;
    private readonly RingEndpoint endpoint;
    private readonly CancellationTokenSource stop = new();
    private readonly WakeSignal wake = new();
    private FrameReader reader = new();
    private readonly byte[] scratch = new byte[RingLayout.RingSize];
    private bool broken;

    public RingSession(XenStoreDaemon daemon, uint domid, uint features, RingEndpoint endpoint)
    {
        this.daemon = daemon;
        this.endpoint = endpoint;
        DomainId = domid;
        Connection = daemon.Connect(domid, privileged: domid == 0, $"domain {domid} ring");
        Connection.OutputReady = _ => Wake();
        // Features are published before the first byte is exchanged and never cleared.
        endpoint.Ring.ServerFeatures = features;
        _ = Task.Run(ListenAsync);
        Stopped = Task.Run(RunAsync);
    }

    /// <summary>Completes when the loop has finished with the ring: page unmapped, event channel unbound.</summary>
    public Task Stopped { get; }

    public uint DomainId { get; }
    public DaemonConnection Connection { get; }

    /// <summary>
    /// Test seam: runs on the loop between taking bytes off the ring and processing the frames
    /// they hold, the window in which a release must still fence those frames.
    /// </summary>
    internal Action? FramesTaken { get; set; }

    /// <summary>Looks at the ring soon (request arrived, output queued, re-introduction).</summary>
    public void Wake() => wake.Wake();

    /// <summary>
    /// Stops serving. The connection closes at once, so that it stops counting against the
    /// domain (which may be introduced again before the loop ends); the rest of the teardown is
    /// deferred to the loop (XSA-425): the page stays mapped until the loop that uses it has
    /// finished, wherever this is called from.
    /// </summary>
    public void Dispose()
    {
        if (stop.IsCancellationRequested) return;
        stop.Cancel();
        Connection.Close();
        Wake();
    }

    private async Task ListenAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await endpoint.Channel.WaitAsync(stop.Token).ConfigureAwait(false);
                Wake();
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (System.Net.Sockets.SocketException) { }
    }

    private async Task RunAsync()
    {
        // The once-a-second look is a timer's wake: a timeout on each wait cost a timer per wait.
        // Dispose wakes the loop too, after cancelling, so the wait needs no token.
        var rescan = new Timer(_ => Wake(), null, RescanInterval, RescanInterval);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Service();
                await wake.WaitAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            await rescan.DisposeAsync().ConfigureAwait(false);
            Connection.Close();
            endpoint.Dispose();
            stop.Dispose();
        }
    }

    /// <summary>One look at the ring: reset if asked, send what is queued, take what fits.</summary>
    private void Service()
    {
        if (broken || stop.IsCancellationRequested) return;
        if (Connection.IsClosed)
        {
            // Closed by Dispose (stopping), not cut off: leave the page as it is for the next session.
            if (stop.IsCancellationRequested) return;
            // Cut off by the daemon for not reading: served no more, its domain stays (XSA-325).
            Fail(RingError.Protocol);
            return;
        }
        var ring = endpoint.Ring;
        var moved = false;
        if (ring.Connection == RingLayout.Reconnect)
        {
            Reset();
            return;
        }
        Connection.Output.DiscardExpired();
        moved |= Flush();
        // C's "outstanding" quota: requests are read only while fewer replies and events than
        // the quota wait for the guest, so a guest that stops reading stops being read.
        var outstandingLimit = Math.Max(1, daemon.Quota(Connection, q => q.Outstanding));
        while (!broken && !stop.IsCancellationRequested && Connection.PendingMessages < outstandingLimit)
        {
            var room = Math.Min(scratch.Length, reader.GetWriteMemory().Length);
            var n = ring.Read(scratch.AsSpan(0, room));
            if (n < 0)
            {
                Fail(RingError.RingIndex);
                return;
            }
            if (n == 0) break;
            moved = true;
            reader.Append(scratch.AsSpan(0, n));
            FramesTaken?.Invoke();
            if (Connection.ProcessAvailable(reader) == FrameStatus.Oversize)
            {
                Fail(RingError.Protocol);
                return;
            }
            Flush();
        }
        if (moved) endpoint.Channel.Notify();
    }

    /// <summary>Copies queued output into the response ring's free space.</summary>
    private bool Flush()
    {
        var free = endpoint.Ring.Writable;
        if (free < 0)
        {
            Fail(RingError.RingIndex);
            return false;
        }
        if (free == 0 || Connection.PendingOutput == 0) return false;
        var n = Connection.CopyOutput(scratch.AsSpan(0, free));
        endpoint.Ring.Write(scratch.AsSpan(0, n));
        return n > 0;
    }

    /// <summary>The guest asked for a fresh start: drop partial packets, queued output, watches and transactions.</summary>
    private void Reset()
    {
        daemon.ResetConnection(Connection);
        reader = new FrameReader();
        endpoint.Ring.Reset();
        endpoint.Ring.Connection = RingLayout.Connected;
        endpoint.Channel.Notify();
    }

    /// <summary>Stops serving a guest that broke the protocol; its domain stays until it is really gone (XSA-325).</summary>
    private void Fail(RingError error)
    {
        broken = true;
        endpoint.Ring.Error = error;
        daemon.ResetConnection(Connection);
        daemon.Trace($"{Connection}: stopped serving ({error})");
        endpoint.Channel.Notify();
    }
}
