namespace XenStore.Daemon;

/// <summary>The quota names of CONTROL quota and GET_QUOTA/SET_QUOTA, with cxenstored's descriptions.</summary>
internal static class QuotaNames
{
    public sealed record Entry(string Name, string Description, Func<QuotaSettings, int> Get, Action<QuotaSettings, int> Set);

    public static readonly Entry[] Hard =
    [
        new("nodes", "Nodes per domain", q => q.Nodes, (q, v) => q.Nodes = v),
        new("watches", "Watches per domain", q => q.Watches, (q, v) => q.Watches = v),
        new("transactions", "Transactions per domain", q => q.Transactions, (q, v) => q.Transactions = v),
        new("outstanding", "Outstanding requests per domain", q => q.Outstanding, (q, v) => q.Outstanding = v),
        new("transaction-nodes", "Max. number of accessed nodes per transaction", q => q.TransactionNodes, (q, v) => q.TransactionNodes = v),
        new("memory", "Total Xenstore memory per domain (error level)", q => q.Memory, (q, v) => q.Memory = v),
        new("node-size", "Max. size of a node", q => q.NodeSize, (q, v) => q.NodeSize = v),
        new("path-max", "Max. length of a node path", q => q.PathMax, (q, v) => q.PathMax = Math.Min(v, Protocol.XenStorePath.DefaultPathMax)),
        new("permissions", "Max. number of permissions per node", q => q.Permissions, (q, v) => q.Permissions = v),
    ];

    public static readonly Entry[] Soft =
    [
        new("memory", "Total Xenstore memory per domain (warning level)", q => q.SoftMemory, (q, v) => q.SoftMemory = v),
    ];

    /// <summary>GET_QUOTA/SET_QUOTA name: hard names as they are, soft ones prefixed "soft-"; 4.22 says "node-permissions".</summary>
    public static Entry? FindWire(string name) =>
        name.StartsWith("soft-", StringComparison.Ordinal) ? Find(Soft, name[5..])
        : name == "node-permissions" ? Find(Hard, "permissions")
        : Find(Hard, name);

    public static Entry? Find(Entry[] table, string name) => Array.Find(table, e => e.Name == name);

    public static string WireNames() =>
        string.Join(' ', Hard.Select(e => e.Name == "permissions" ? "node-permissions" : e.Name).Concat(Soft.Select(e => "soft-" + e.Name)));
}
