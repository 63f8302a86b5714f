using System.Diagnostics.CodeAnalysis;
using XenStore.Ring;

namespace XenStore.Transport;

/// <summary>
/// The guest's end of a xenstore_domain_interface ring: the client becomes a guest domain.
/// Works over any mapped page and event channel: the simulated hypervisor's, or a page a
/// real guest has mapped itself. Waits are woken by notifications and also poll, since a
/// notification is only a hint.
/// </summary>
public sealed class RingTransport : IXenStoreTransport
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private readonly RingEndpoint endpoint;
    private readonly SemaphoreSlim sendWake = new(0);
    private readonly SemaphoreSlim receiveWake = new(0);
    private readonly CancellationTokenSource stop = new();
    /// <summary>Held around every touch of the page, so disposing never unmaps it under a reader or writer.</summary>
    private readonly object pageGate = new();
    private bool unmapped;
    private Action? release;

    /// <summary>The guest end of <paramref name="endpoint"/>, which it owns from now on; <paramref name="description"/> names it in messages.</summary>
    public RingTransport(RingEndpoint endpoint, string description)
    {
        if (endpoint.Ring.Side != RingSide.Guest) throw new ArgumentException("A client needs the guest's end of the ring.", nameof(endpoint));
        this.endpoint = endpoint;
        Description = description;
        _ = Task.Run(ListenAsync);
    }

    /// <summary>
    /// Becomes guest <paramref name="domid"/> of the simulated hypervisor in <paramref name="simDirectory"/>
    /// (creates its ring page). Throws <see cref="RingInUseException"/> while this process
    /// already has that domain's ring open: it would take the ring from under the first.
    /// </summary>
    public static RingTransport CreateSimulatedGuest(string simDirectory, uint domid)
    {
        var xen = new SimulatedXen(simDirectory);
        var release = GuestRingClaims.Claim(xen.RingPath(domid), domid);
        try
        {
            return new(xen.CreateGuest(domid), $"ring of domain {domid} (simulated Xen in {simDirectory})") { release = release };
        }
        catch
        {
            release();
            throw;
        }
    }

    /// <inheritdoc/>
    public string Description { get; }
    /// <inheritdoc/>
    public bool OneMessagePerWrite => false;
    /// <inheritdoc/>
    public bool TolerantReplyMatching => false;

    /// <summary>The ring's page, for its features and error field.</summary>
    public SharedRing Ring => endpoint.Ring;

    /// <inheritdoc/>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int n;
            lock (pageGate) n = unmapped ? throw new ObjectDisposedException(Description) : endpoint.Ring.Write(data.Span);
            if (n < 0) throw new IOException($"{Description}: the ring's indices are corrupt.");
            if (n > 0)
            {
                endpoint.Channel.Notify();
                data = data[n..];
                continue;
            }
            ThrowIfStopped();
            await sendWake.WaitAsync(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int n;
            lock (pageGate) n = unmapped ? 0 : endpoint.Ring.Read(buffer.Span);
            if (n < 0) throw new IOException($"{Description}: the ring's indices are corrupt.");
            if (n > 0)
            {
                endpoint.Channel.Notify();
                return n;
            }
            ThrowIfStopped();
            await receiveWake.WaitAsync(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Asks the daemon for a fresh ring (the reconnection feature): it drops this domain's
    /// watches, transactions and partial messages, and answers by clearing the request.
    /// </summary>
    public async Task ResetAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // Under the gate like every other touch of the page: a dispose meanwhile unmaps it.
        lock (pageGate)
        {
            ObjectDisposedException.ThrowIf(unmapped, this);
            if ((endpoint.Ring.ServerFeatures & RingLayout.FeatureReconnection) == 0)
                throw new NotSupportedException("This xenstored does not offer ring reconnection.");
            endpoint.Ring.Connection = RingLayout.Reconnect;
            endpoint.Channel.Notify();
        }
        var deadline = DateTime.UtcNow + timeout;
        while (!ResetAnswered())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The xenstored did not answer the ring reset.");
            await receiveWake.WaitAsync(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool ResetAnswered()
    {
        lock (pageGate)
        {
            ObjectDisposedException.ThrowIf(unmapped, this);
            return endpoint.Ring.Connection == RingLayout.Connected;
        }
    }

    [SuppressMessage("Maintainability", "CA1513", Justification = "The exception names the ring (Description); ThrowIf could only name the type.")]
    private void ThrowIfStopped()
    {
        lock (pageGate)
        {
            if (unmapped) throw new ObjectDisposedException(Description);
            if (endpoint.Ring.Error is var error and not RingError.None)
                throw new IOException($"{Description}: the xenstored stopped serving this ring ({error}).");
        }
    }

    private async Task ListenAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await endpoint.Channel.WaitAsync(stop.Token).ConfigureAwait(false);
                Signal(sendWake);
                Signal(receiveWake);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (System.Net.Sockets.SocketException) { }
    }

    /// <summary>
    /// Wakes a waiter without counting: a wake is awaited only when the ring is full (or
    /// empty), so counting every notification would grow without bound. One pending wake is
    /// all a waiter needs, since it looks at the page again anyway. Only the listener releases.
    /// </summary>
    private static void Signal(SemaphoreSlim wake)
    {
        if (wake.CurrentCount == 0) wake.Release();
    }

    /// <summary>Stops waiting, closes the channel and unmaps the page; a simulated guest's ring may then be claimed again.</summary>
    public ValueTask DisposeAsync()
    {
        lock (pageGate)
        {
            if (unmapped) return ValueTask.CompletedTask;
            unmapped = true;
            stop.Cancel();
            endpoint.Dispose();
        }
        release?.Invoke();
        return ValueTask.CompletedTask;
    }
}
