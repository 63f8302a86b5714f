using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// A transaction with cxenstored's semantics. Starting costs O(1): nothing is copied. Each
/// node is read from the live store the first time the transaction touches it, its
/// generation is recorded, and from then on the transaction works on its private version.
/// Commit succeeds only if no touched node changed since its first touch; the changes are
/// then applied to the live store and their watch events fired, each node once.
/// </summary>
internal sealed class Transaction : INodeStore
{
    /// <summary>Recorded for a node that did not exist at first touch (real generations start at 1).</summary>
    private const ulong Absent = 0;

    private readonly LiveStore live;
    private readonly DomainTable domains;
    private readonly DaemonConnection connection;
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly List<Entry> accessOrder = [];
    private readonly List<string> removedRoots = [];
    private readonly Dictionary<uint, int> ownedDelta = [];

    public Transaction(LiveStore live, DomainTable domains, DaemonConnection connection, uint id)
    {
        this.live = live;
        this.domains = domains;
        this.connection = connection;
        Id = id;
    }

    public uint Id { get; }

    /// <summary>
    /// Memory the transaction's private versions hold, charged to its connection's domain
    /// while it is open: each node written counts, rewrites included (the transaction-nodes
    /// quota bounds how many distinct nodes there are, this bounds their size).
    /// </summary>
    public long ChargedBytes { get; private set; } = MemoryCharge.Bookkeeping;

    /// <summary>Set when an operation failed half-way or a limit was hit: the commit must fail (XSA-415).</summary>
    public XenStoreErrorCode? Failure { get; private set; }

    public Node? Get(string path)
    {
        if (entries.TryGetValue(path, out var entry)) return entry.Node;
        // Below a node this transaction removed, the live descendants are gone.
        foreach (var root in removedRoots)
            if (XenStorePath.IsAtOrBelow(path, root)) return null;
        var node = live.Get(path);
        Record(path, node, node?.Generation ?? Absent);
        return node;
    }

    public void Create(string path, byte[] value, PermissionList permissions)
    {
        var generation = live.NextGeneration();
        var entry = Touch(path);
        if (entry.Recorded != Absent && entry.Node is null) entry.Recreated = true;
        entry.Node = Node.Leaf(XenStorePath.Name(path), value, permissions, generation);
        entry.Dirty = true;
        ChargedBytes += MemoryCharge.Node(path, entry.Node);
        var parent = Touch(XenStorePath.Parent(path));
        parent.Node = parent.Node!.WithChildren(parent.Node.Children.Set(entry.Node), generation);
        Adjust(permissions.Owner, +1);
    }

    public void Update(string path, byte[] value, PermissionList permissions)
    {
        var entry = Touch(path);
        var old = entry.Node!;
        entry.Node = old.WithContent(value, permissions, live.NextGeneration());
        entry.Dirty = true;
        ChargedBytes += MemoryCharge.Node(path, entry.Node);
        if (old.Permissions.Owner != permissions.Owner)
        {
            Adjust(old.Permissions.Owner, -1);
            Adjust(permissions.Owner, +1);
        }
    }

    public void Delete(string path)
    {
        var entry = Touch(path);
        var node = entry.Node!;
        var parent = Touch(XenStorePath.Parent(path));
        Notify(new ChangeEvent(path, false, node.Permissions, null, parent.Node?.Permissions));
        // Walk the subtree as this transaction sees it, children first, as C's delete does.
        var stack = new Stack<(string Path, bool Expanded)>();
        stack.Push((path, false));
        while (stack.Count > 0)
        {
            var (p, expanded) = stack.Pop();
            var n = Get(p);
            if (n is null) continue;
            if (expanded)
            {
                Adjust(n.Permissions.Owner, -1);
                Notify(new ChangeEvent(p, true, n.Permissions, null, Get(XenStorePath.Parent(p))?.Permissions));
                continue;
            }
            stack.Push((p, true));
            foreach (var child in n.Children.InOrder().Reverse()) stack.Push((XenStorePath.Combine(p, child.Name), false));
        }
        foreach (var other in entries.Values)
            if (other.Path != path && XenStorePath.IsAtOrBelow(other.Path, path))
            {
                other.Node = null;
                other.Dirty = false;
            }
        entry.Node = null;
        entry.Dirty = true;
        removedRoots.Add(path);
        parent.Node = parent.Node!.WithChildren(parent.Node.Children.Remove(XenStorePath.Name(path)), live.NextGeneration());
    }

    public void Notify(ChangeEvent change)
    {
        var entry = Touch(change.Path);
        if (!entry.FireWatch)
        {
            entry.FireWatch = true;
            entry.Change = change;
        }
        else if (!change.Exact && entry.Change.Exact)
        {
            // A normal event replaces an exact one, never the reverse (C's queue_watches).
            entry.Change = change;
        }
    }

    public int NodesOwnedBy(uint domid) => live.NodesOwnedBy(domid) + ownedDelta.GetValueOrDefault(domid);

    /// <summary>Marks the transaction failed: its commit will answer <paramref name="code"/>.</summary>
    public void Fail(XenStoreErrorCode code) => Failure ??= code;

    /// <summary>
    /// Validates and applies the transaction. Returns null on success, or the error the
    /// commit answers (EAGAIN on conflict, ENOSPC when the net effect exceeds a node quota).
    /// </summary>
    public XenStoreErrorCode? Commit()
    {
        if (Failure is { } failed) return failed == XenStoreErrorCode.ENOSPC ? XenStoreErrorCode.ENOMEM : failed;
        foreach (var entry in accessOrder)
            if (entry.Validate && (live.Get(entry.Path)?.Generation ?? Absent) != entry.Recorded)
                return XenStoreErrorCode.EAGAIN;
        if (!connection.Privileged)
            foreach (var (owner, delta) in ownedDelta)
                if (delta > 0 && domains.NodeQuotaExceeded(owner, live.NodesOwnedBy(owner) + delta))
                    return XenStoreErrorCode.ENOSPC;

        // Parents before children; among equals, in the order the transaction touched them.
        foreach (var entry in accessOrder.Where(e => e.Dirty).OrderBy(e => e.Depth))
        {
            if (entry.Node is null || entry.Recreated) live.DeleteSilently(entry.Path);
            if (entry.Node is null) continue;
            if (live.Get(entry.Path) is null) live.Create(entry.Path, entry.Node.Value, entry.Node.Permissions);
            else live.Update(entry.Path, entry.Node.Value, entry.Node.Permissions);
        }
        foreach (var entry in accessOrder)
            if (entry.FireWatch) live.Notify(entry.Change);
        return null;
    }

    private Entry Touch(string path)
    {
        Get(path);
        return entries.TryGetValue(path, out var entry) ? entry : Record(path, null, Absent, validate: false);
    }

    private Entry Record(string path, Node? node, ulong generation, bool validate = true)
    {
        var entry = new Entry(path, node, generation, validate);
        entries[path] = entry;
        accessOrder.Add(entry);
        if (!connection.Privileged && domains.QuotasOf(connection.DomainId).TransactionNodes is > 0 and var limit && entries.Count > limit)
            Fail(XenStoreErrorCode.ENOSPC);
        return entry;
    }

    private void Adjust(uint owner, int delta) => ownedDelta[owner] = ownedDelta.GetValueOrDefault(owner) + delta;

    /// <summary>One node as this transaction sees it.</summary>
    private sealed class Entry(string path, Node? node, ulong recorded, bool validate)
    {
        public string Path { get; } = path;
        public int Depth { get; } = path == "/" ? 0 : path.Count(c => c == '/');

        /// <summary>The transaction's version; null when absent.</summary>
        public Node? Node { get; set; } = node;

        /// <summary>Generation at first touch (or <see cref="Absent"/>), checked at commit.</summary>
        public ulong Recorded { get; } = recorded;

        /// <summary>False for nodes below one this transaction removed: nothing live to compare.</summary>
        public bool Validate { get; } = validate;

        /// <summary>Changed by the transaction: applied at commit.</summary>
        public bool Dirty { get; set; }

        /// <summary>Existed, was removed and created again: the live subtree goes first.</summary>
        public bool Recreated { get; set; }

        public bool FireWatch { get; set; }
        public ChangeEvent Change { get; set; }
    }
}
