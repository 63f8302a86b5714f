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
}
