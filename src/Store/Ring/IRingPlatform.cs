namespace XenStore.Ring;

/// <summary>
/// What the daemon needs from a hypervisor to serve guests on rings: the page and event
/// channel of an introduced domain. The simulated hypervisor and real Xen implement it.
/// </summary>
public interface IRingPlatform
{
    /// <summary>A short name for messages ("simulated Xen in DIR", "Xen").</summary>
    string Description { get; }

    /// <summary>
    /// Maps domain <paramref name="domid"/>'s ring page and binds its event channel, as
    /// INTRODUCE asks (<paramref name="frame"/> and <paramref name="port"/> as given there).
    /// </summary>
    RingEndpoint Attach(uint domid, ulong frame, uint port);

    /// <summary>Raised when the hypervisor reports that some domain changed state (Xen's VIRQ_DOM_EXC).</summary>
    event Action? DomainsChanged;

    /// <summary>What the hypervisor says of a domain now.</summary>
    DomainRunState QueryDomain(uint domid);
}

/// <summary>A domain's state as the hypervisor reports it.</summary>
public enum DomainRunState
{
    /// <summary>Running, or paused.</summary>
    Running,
    /// <summary>Shut down or crashed, not yet destroyed (suspend is a shutdown too).</summary>
    Shutdown,
    /// <summary>Being destroyed, or gone.</summary>
    Gone,
}
