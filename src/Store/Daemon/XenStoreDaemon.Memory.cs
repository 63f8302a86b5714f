namespace XenStore.Daemon;

public sealed partial class XenStoreDaemon
{
    /// <summary>Domains over their soft memory quota, reported once until they drop below it.</summary>
    private readonly HashSet<uint> overSoftQuota = [];

    /// <summary>
    /// The memory charged to a domain (cxenstored's per-domain accounting): the nodes it owns,
    /// plus the watches, open transactions and queued replies and events of its unprivileged
    /// connections.
    /// </summary>
    internal long MemoryUsedBy(uint domid)
    {
        var used = Live.BytesOwnedBy(domid);
        if (guestConnections.TryGetValue(domid, out var ofDomain))
            foreach (var connection in ofDomain) used += connection.MemoryUsed;
        return used;
    }

    /// <summary>
    /// True when adding <paramref name="extra"/> bytes would take the connection's domain past
    /// its hard memory quota. Crossing the soft quota is only logged, once.
    /// </summary>
    internal bool MemoryQuotaExceeded(DaemonConnection connection, int extra)
    {
        var hard = Quota(connection, q => q.Memory);
        var soft = Quota(connection, q => q.SoftMemory);
        if (hard <= 0 && soft <= 0) return false;
        var after = MemoryUsedBy(connection.DomainId) + extra;
        if (soft > 0 && after > soft)
        {
            if (overSoftQuota.Add(connection.DomainId))
                Trace($"domain {connection.DomainId} exceeds its soft memory quota ({after} > {soft} bytes)");
        }
        else overSoftQuota.Remove(connection.DomainId);
        return hard > 0 && after > hard;
    }
}
