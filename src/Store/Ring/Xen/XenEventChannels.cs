using System.Collections.Concurrent;
using System.Runtime.InteropServices;

using XenStore.Transport;

namespace XenStore.Ring.Xen;

/// <summary>
/// One xenevtchn handle shared by every domain, as xenstored uses it: a thread waits on its
/// file descriptor, asks which port fired, unmasks it and wakes whoever listens on that port.
/// VIRQ_DOM_EXC, the "a domain changed state" interrupt, is bound here too.
/// </summary>
internal sealed class XenEventChannels : IDisposable
{
    /// <summary>VIRQ_DOM_EXC: Xen raises it on every domain state change.</summary>
    private const uint VirqDomainException = 3;

    private readonly XenNative native;
    private readonly nint handle;
    private readonly int fd;
    private readonly int virqPort;
    private readonly ConcurrentDictionary<uint, SemaphoreSlim> listeners = new();
    private readonly Thread pump;
    private volatile bool stopping;

    public XenEventChannels(XenNative native, Action domainsChanged)
    {
        this.native = native;
        unsafe { handle = native.EvtchnOpen(0, 0); }
        if (handle == 0) throw new PlatformNotSupportedException("xenevtchn_open failed: /dev/xen/evtchn is missing or not accessible (is this dom0 on Xen?).");
        unsafe
        {
            fd = native.EvtchnFd(handle);
            virqPort = native.EvtchnBindVirq(handle, VirqDomainException);
        }
        if (virqPort < 0) throw new PlatformNotSupportedException("Binding VIRQ_DOM_EXC failed: only dom0 (or a xenstore domain) may serve XenStore.");
        DomainsChanged = domainsChanged;
        pump = new Thread(Pump) { IsBackground = true, Name = "xen event channels" };
        pump.Start();
    }

    private Action DomainsChanged { get; }

    /// <summary>Binds a local port to a domain's port; returns the local port.</summary>
    public uint BindInterdomain(uint domid, uint remotePort)
    {
        int port;
        unsafe { port = native.EvtchnBindInterdomain(handle, domid, remotePort); }
        if (port < 0) throw new IOException($"Binding the event channel of domain {domid} (port {remotePort}) failed: errno {Marshal.GetLastPInvokeError()}.");
        listeners[(uint)port] = new SemaphoreSlim(0, 1);
        return (uint)port;
    }

    public unsafe void Notify(uint localPort) => native.EvtchnNotify(handle, localPort);

    public async ValueTask WaitAsync(uint localPort, CancellationToken cancellationToken)
    {
        if (listeners.TryGetValue(localPort, out var signal)) await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        else await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
    }

    public unsafe void Unbind(uint localPort)
    {
        if (listeners.TryRemove(localPort, out var signal)) signal.Dispose();
        native.EvtchnUnbind(handle, localPort);
    }

    private unsafe void Pump()
    {
        while (!stopping)
        {
            if (UnixPoll.WaitReadable(fd, 1000) <= 0) continue;
            var port = native.EvtchnPending(handle);
            if (port < 0) continue;
            native.EvtchnUnmask(handle, (uint)port);
            if (port == virqPort) DomainsChanged();
            else if (listeners.TryGetValue((uint)port, out var signal) && signal.CurrentCount == 0)
                try { signal.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
        }
    }

    public unsafe void Dispose()
    {
        stopping = true;
        pump.Join(2000);
        native.EvtchnClose(handle);
    }
}

/// <summary>One domain's event channel on the shared handle.</summary>
internal sealed class XenEventChannel(XenEventChannels hub, uint localPort) : IEventChannel
{
    public void Notify() => hub.Notify(localPort);

    public ValueTask WaitAsync(CancellationToken cancellationToken) => hub.WaitAsync(localPort, cancellationToken);

    public void Dispose() => hub.Unbind(localPort);
}
