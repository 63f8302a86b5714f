using System.Globalization;

namespace XenStore.Ring;

/// <summary>
/// A stand-in hypervisor for machines without Xen, so that a guest in any process (and any
/// language) can use the real ring code. For domain D under DIR:
/// <list type="bullet">
/// <item>DIR/D/ring is the 4096-byte xenstore_domain_interface page, created zero-filled by the guest, mapped shared by both;</item>
/// <item>DIR/D/daemon.evtchn and DIR/D/guest.evtchn are Unix datagram sockets bound by the daemon and the guest; any datagram to the other's socket is a notification;</item>
/// <item>dom0 introduces D with INTRODUCE (frame and port are recorded, not used) and reports its death with CONTROL sim-destroy D;</item>
/// <item>every domain exists until sim-destroy, and again after CONTROL sim-create D or its next INTRODUCE.</item>
/// </list>
/// </summary>
public sealed class SimulatedXen(string directory) : IRingPlatform
{
    /// <summary>DIR, the folder the simulated domains live in (absolute).</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <inheritdoc/>
    public string Description => $"simulated Xen in {Directory}";

    /// <summary>Never raised: in simulation dom0 reports deaths itself (CONTROL sim-destroy).</summary>
    public event Action? DomainsChanged
    {
        add { }
        remove { }
    }

    /// <summary>Domains reported destroyed (sim-destroy) and not created again since.</summary>
    private readonly HashSet<uint> destroyed = [];

    /// <summary>
    /// Every domain exists, introduced or not, as on a Xen host where the toolstack creates a
    /// domain before it writes its nodes and introduces it, until sim-destroy reports it gone
    /// and until it is created again (INTRODUCE, or sim-create).
    /// </summary>
    public DomainRunState QueryDomain(uint domid)
    {
        lock (destroyed) return destroyed.Contains(domid) ? DomainRunState.Gone : DomainRunState.Running;
    }

    /// <summary>Records that domain <paramref name="domid"/> is gone (CONTROL sim-destroy); false if it already was.</summary>
    public bool Destroy(uint domid)
    {
        lock (destroyed) return destroyed.Add(domid);
    }

    /// <summary>Records that domain <paramref name="domid"/> exists again (CONTROL sim-create, or its INTRODUCE).</summary>
    public void Create(uint domid)
    {
        lock (destroyed) destroyed.Remove(domid);
    }

    /// <summary>DIR/D: domain <paramref name="domid"/>'s folder.</summary>
    public string DomainDirectory(uint domid) => Path.Combine(Directory, domid.ToString(CultureInfo.InvariantCulture));
    /// <summary>DIR/D/ring: the domain's ring page.</summary>
    public string RingPath(uint domid) => Path.Combine(DomainDirectory(domid), "ring");
    /// <summary>DIR/D/daemon.evtchn: the daemon's end of the domain's event channel.</summary>
    public string DaemonChannelPath(uint domid) => Path.Combine(DomainDirectory(domid), "daemon.evtchn");
    /// <summary>DIR/D/guest.evtchn: the guest's end of the domain's event channel.</summary>
    public string GuestChannelPath(uint domid) => Path.Combine(DomainDirectory(domid), "guest.evtchn");

    /// <summary>The daemon's end: maps the guest's page and binds daemon.evtchn.</summary>
    public RingEndpoint Attach(uint domid, ulong frame, uint port)
    {
        var ringPath = RingPath(domid);
        if (!File.Exists(ringPath))
            throw new FileNotFoundException($"Domain {domid} has no ring page at {ringPath}: the guest creates it before it is introduced.", ringPath);
        var page = MappedRingPage.Open(ringPath);
        try
        {
            var channel = new UnixDatagramEventChannel(DaemonChannelPath(domid), GuestChannelPath(domid));
            unsafe
            {
                return new RingEndpoint(new SharedRing(page.Pointer, RingSide.Daemon), channel, page);
            }
        }
        catch
        {
            page.Dispose();
            throw;
        }
    }

    /// <summary>The guest's end: creates the zero-filled page and binds guest.evtchn.</summary>
    public RingEndpoint CreateGuest(uint domid)
    {
        var page = MappedRingPage.Create(RingPath(domid));
        try
        {
            var channel = new UnixDatagramEventChannel(GuestChannelPath(domid), DaemonChannelPath(domid));
            unsafe
            {
                return new RingEndpoint(new SharedRing(page.Pointer, RingSide.Guest), channel, page);
            }
        }
        catch
        {
            page.Dispose();
            throw;
        }
    }
}
