namespace XenStore.Daemon;

/// <summary>
/// Per-domain limits with cxenstored 4.17's defaults. They bind unprivileged connections only,
/// except <see cref="PathMax"/>, which binds everyone. 0 switches a limit off.
/// </summary>
public sealed class QuotaSettings
{
    /// <summary>Nodes a domain may own (-E, "nodes").</summary>
    public int Nodes { get; set; } = 1000;

    /// <summary>Watches a domain may hold (-W, "watches").</summary>
    public int Watches { get; set; } = 128;

    /// <summary>Open transactions per connection (-t, "transactions").</summary>
    public int Transactions { get; set; } = 10;

    /// <summary>Requests whose replies a domain may have outstanding before its input is paused ("outstanding").</summary>
    public int Outstanding { get; set; } = 20;

    /// <summary>Distinct nodes one transaction may touch ("transaction-nodes").</summary>
    public int TransactionNodes { get; set; } = 1024;

    /// <summary>Memory a domain may use, in bytes ("memory").</summary>
    public int Memory { get; set; } = 2621440;

    /// <summary>Largest node record in bytes (-S, "node-size").</summary>
    public int NodeSize { get; set; } = 2048;

    /// <summary>Longest path counted below a domain home (-M, "path-max"); binds everyone.</summary>
    public int PathMax { get; set; } = 2048;

    /// <summary>Entries in one permission list (-A, "permissions").</summary>
    public int Permissions { get; set; } = 5;

    /// <summary>Soft memory limit that only warns ("memory" of quota-soft).</summary>
    public int SoftMemory { get; set; } = 2097152;

    /// <summary>A copy, so that a domain's quotas can change without touching the defaults.</summary>
    public QuotaSettings Clone() => (QuotaSettings)MemberwiseClone();

    /// <summary>The names <see cref="TrySet"/> takes, as GET_QUOTA lists them.</summary>
    public static string Names => QuotaNames.WireNames();

    /// <summary>Sets a quota by its cxenstored name ("nodes", "soft-memory"...); false for an unknown name.</summary>
    public bool TrySet(string name, int value)
    {
        if (QuotaNames.FindWire(name) is not { } entry) return false;
        entry.Set(this, value);
        return true;
    }
}
