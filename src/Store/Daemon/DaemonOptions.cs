namespace XenStore.Daemon;

/// <summary>How a hosted daemon is set up: quotas, starting tree, logging.</summary>
public sealed class DaemonOptions
{
    /// <summary>Quota defaults for every domain (cxenstored's unless changed).</summary>
    public QuotaSettings Quotas { get; init; } = new();

    /// <summary>
    /// Create what xen-init-dom0 writes at boot (/local/domain/0/name and domid), so the store
    /// looks like a dom0's after boot. Off gives cxenstored's bare tree (/ and /tool/xenstored).
    /// </summary>
    public bool CreateDom0Nodes { get; init; } = true;

    /// <summary>
    /// Which domains exist (SET_PERMS refuses an owner that does not), for a host that knows
    /// better than the rule. Null follows the rule: dom0 and the introduced domains exist, and
    /// so does every other domid below DOMID_FIRST_RESERVED (0x7FF0) without a
    /// <see cref="RingPlatform"/>, or every domain the platform does not report gone with one;
    /// <see cref="StrictDomains"/> keeps only dom0 and the introduced domains.
    /// </summary>
    public Func<uint, bool>? DomainExists { get; init; }

    /// <summary>
    /// Only dom0 and the introduced domains exist, whatever the platform says: SET_PERMS
    /// refuses (ENOENT) to name an owner not yet introduced.
    /// </summary>
    public bool StrictDomains { get; init; }

    /// <summary>
    /// How introduced domains' rings are reached (the simulated hypervisor, or real Xen);
    /// null serves no rings: INTRODUCE then only records the domain, as on a box without Xen.
    /// </summary>
    public Ring.IRingPlatform? RingPlatform { get; init; }

    /// <summary>Keep the store across restarts (journal and snapshots); null keeps it in memory only, as cxenstored does.</summary>
    public Persistence.PersistenceOptions? Persistence { get; init; }

    /// <summary>
    /// How long a watch event may wait for an unprivileged connection before it is discarded
    /// (cxenstored -w watch-event=, 20 s); zero keeps events until delivered.
    /// </summary>
    public TimeSpan WatchEventTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The clock for event timeouts (tests substitute their own).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Where the trace of every message goes (cxenstored -T), or null.</summary>
    public TextWriter? Trace { get; init; }
}
