using System.Buffers.Binary;

namespace XenStore.Ring.Xen;

/// <summary>
/// Real Xen: a guest's ring is its grant reference 1 (GNTTAB_RESERVED_XENSTORE) mapped
/// through libxengnttab, its event channel is bound through libxenevtchn, and domain deaths
/// arrive as VIRQ_DOM_EXC and are read back with xc_domain_getinfolist. Creating it on a
/// machine without Xen fails at once, naming what is missing.
/// </summary>
public sealed unsafe class XenRingPlatform : IRingPlatform, IDisposable
{
    /// <summary>GNTTAB_RESERVED_XENSTORE: the grant entry the domain builder fills with the ring page.</summary>
    private const uint XenStoreGrantRef = 1;

    private const int ProtReadWrite = 1 | 2;

    /// <summary>sizeof(xc_domaininfo_t) in Xen 4.17 on x86_64 and arm64.</summary>
    private const int DomainInfoSize = 112;

    private const uint FlagDying = 1 << 0;
    private const uint FlagShutdown = 1 << 2;

    private readonly XenNative native;
    private readonly nint gnttab;
    private readonly nint xc;
    private readonly XenEventChannels channels;

    /// <summary>Opens libxenctrl, the grant device and the event channel device; throws <see cref="PlatformNotSupportedException"/> when this is not dom0 on Xen.</summary>
    public XenRingPlatform()
    {
        native = XenNative.Load();
        xc = native.XcInterfaceOpen(0, 0, 0);
        if (xc == 0) throw new PlatformNotSupportedException("xc_interface_open failed: /proc/xen/privcmd is missing or not accessible (not running as dom0 on Xen).");
        gnttab = native.GnttabOpen(0, 0);
        if (gnttab == 0) throw new PlatformNotSupportedException("xengnttab_open failed: /dev/xen/gntdev is missing (load the xen-gntdev module).");
        channels = new XenEventChannels(native, () => DomainsChanged?.Invoke());
    }

    /// <inheritdoc/>
    public string Description => "Xen";

    /// <inheritdoc/>
    public event Action? DomainsChanged;

    /// <inheritdoc/>
    public RingEndpoint Attach(uint domid, ulong frame, uint port)
    {
        var page = native.GnttabMapGrantRef(gnttab, domid, XenStoreGrantRef, ProtReadWrite);
        if (page == 0) throw new IOException($"Mapping the XenStore grant of domain {domid} failed.");
        try
        {
            var localPort = channels.BindInterdomain(domid, port);
            var mapping = new GrantMapping(native, gnttab, page);
            return new RingEndpoint(new SharedRing((byte*)page, RingSide.Daemon), new XenEventChannel(channels, localPort), mapping);
        }
        catch
        {
            native.GnttabUnmap(gnttab, page, 1);
            throw;
        }
    }

    /// <inheritdoc/>
    public DomainRunState QueryDomain(uint domid)
    {
        var info = stackalloc byte[DomainInfoSize];
        var found = native.XcDomainGetInfoList(xc, domid, 1, info);
        if (found != 1 || BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(info, 2)) != domid) return DomainRunState.Gone;
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(info + 4, 4));
        if ((flags & FlagDying) != 0) return DomainRunState.Gone;
        return (flags & FlagShutdown) != 0 ? DomainRunState.Shutdown : DomainRunState.Running;
    }

    /// <summary>Closes the event channels.</summary>
    public void Dispose() => channels.Dispose();

    private sealed class GrantMapping(XenNative native, nint gnttab, nint page) : IDisposable
    {
        public void Dispose() => native.GnttabUnmap(gnttab, page, 1);
    }
}
