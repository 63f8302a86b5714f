using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// A transaction with cxenstored's semantics. Starting costs O(1): nothing is copied. Each
/// node is read from the live store the first time the transaction touches it, its
/// generation is recorded, and from then on the transaction works on its private version.
/// Commit succeeds only if no touched node changed since its first touch; the changes are
/// then applied to the live store and their watch events fired, each node once. A commit that
/// fails so may still be made by a replay of the transaction's requests on the current store
/// (oxenstored's rule, <see cref="TransactionLog"/>).
/// </summary>
internal sealed partial class Transaction : INodeStore
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
    private readonly Func<int, bool> memoryQuotaExceeded;

    /// <param name="live">The committed store it reads from and commits to.</param>
    /// <param name="domains">Where the quotas it checks are kept.</param>
    /// <param name="connection">Whose transaction it is (its domain pays for what it keeps).</param>
    /// <param name="id">Its transaction id on that connection.</param>
    /// <param name="memoryQuotaExceeded">Whether keeping this many more bytes would take the connection's domain past its hard memory quota.</param>
    public Transaction(LiveStore live, DomainTable domains, DaemonConnection connection, uint id, Func<int, bool> memoryQuotaExceeded)
    {
        this.live = live;
        this.domains = domains;
        this.connection = connection;
        this.memoryQuotaExceeded = memoryQuotaExceeded;
        Id = id;
    }

    public uint Id { get; }

    /// <summary>
    /// Memory the transaction holds, charged to its connection's domain while it is open:
    /// every node it touched (read or written: each is kept until the end, XSA-326) and each
    /// node written, rewrites included (the transaction-nodes quota bounds how many distinct
    /// nodes there are, this bounds their size).
    /// </summary>
    public long ChargedBytes { get; private set; } = MemoryCharge.Bookkeeping;

    /// <summary>Set when an operation failed half-way or a limit was hit: the commit must fail (XSA-415).</summary>
    public XenStoreErrorCode? Failure { get; private set; }

    public Node? Get(string path)
    {
        if (entries.TryGetValue(path, out var entry)) return entry.Node;
        return UnderRemoved(path) ? null : Record(path, live.Get(path)).Node;
    }

    /// <summary><see cref="Get(string)"/> of a path whose live node the caller has found already.</summary>
    private Node? Get(string path, Node? liveNode)
    {
        if (entries.TryGetValue(path, out var entry)) return entry.Node;
        return UnderRemoved(path) ? null : Record(path, liveNode).Node;
    }

    public (Node Node, string Path) NearestAncestor(string path)
    {
        // Existence is monotone along a path in this view, so a binary search over the levels
        // finds the deepest existing ancestor with O(log depth) lookups that record nothing;
        // only the one found is recorded (reading from the leaf up would record every level).
        var slashes = new List<int> { 1 };
        for (var i = 1; i < path.Length; i++)
            if (path[i] == '/') slashes.Add(i);
        string Prefix(int level) => level == 0 ? "/" : path[..slashes[level]];
        int low = 0, high = slashes.Count - 1;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (Peek(Prefix(middle)) is not null) low = middle;
            else high = middle - 1;
        }
        var ancestor = Prefix(low);
        return (Get(ancestor) ?? live.Root, ancestor);
    }

    public void CreateBelow(string ancestor, string path, byte[] value, PermissionList permissions)
    {
        // One walk of the live tree gives each level's live node; each level then costs a
        // lookup by its own path, not a walk from the root.
        var parent = Touch(ancestor);
        var liveNode = live.Get(ancestor);
        var start = ancestor == "/" ? 1 : ancestor.Length + 1;
        while (start <= path.Length)
        {
            var slash = path.IndexOf('/', start);
            var end = slash < 0 ? path.Length : slash;
            liveNode = liveNode?.Children.Get(path.AsSpan(start, end - start));
            var levelPath = path[..end];
            var entry = Touch(levelPath, liveNode);
            CreateAt(entry, parent, end == path.Length ? value : [], permissions);
            parent = entry;
            start = end + 1;
        }
    }

    public void Create(string path, byte[] value, PermissionList permissions)
    {
        var entry = Touch(path);
        CreateAt(entry, Touch(XenStorePath.Parent(path)), value, permissions);
    }

    private void CreateAt(Entry entry, Entry parent, byte[] value, PermissionList permissions)
    {
        var generation = live.NextGeneration();
        if (entry.Recorded != Absent && entry.Node is null) entry.Recreated = true;
        entry.Node = Node.Leaf(XenStorePath.Name(entry.Path), value, permissions, generation);
        entry.Dirty = true;
        entry.MadeUnder = parent;
        ChargedBytes += MemoryCharge.Node(entry.Path, entry.Node);
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
        // Each level carries its live counterpart and its parent as seen here, so a deep
        // chain costs one lookup per node, not a walk from the root per node.
        var stack = new Stack<(string Path, Node? Live, Node? Parent, Node? Seen)>();
        stack.Push((path, live.Get(path), parent.Node, null));
        while (stack.Count > 0)
        {
            var (p, liveNode, nodeParent, seen) = stack.Pop();
            if (seen is not null)
            {
                Adjust(seen.Permissions.Owner, -1);
                Notify(new ChangeEvent(p, true, seen.Permissions, null, nodeParent?.Permissions));
                continue;
            }
            var n = Get(p, liveNode);
            if (n is null) continue;
            stack.Push((p, liveNode, nodeParent, n));
            foreach (var child in n.Children.InOrder().Reverse())
                stack.Push((XenStorePath.Combine(p, child.Name), liveNode?.Children.Get(child.Name), n, null));
        }
        foreach (var other in entries.Values)
            if (other.Path != path && XenStorePath.IsAtOrBelow(other.Path, path))
            {
                other.Node = null;
                other.Dirty = false;
            }
        entry.Node = null;
        entry.Dirty = true;
        // A path already covered adds nothing (the entries answer for what was made again
        // below it): removing the same node over and over must not grow the list.
        if (!UnderRemoved(path)) removedRoots.Add(path);
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

    /// <summary>The entry of a path, recording its first touch (not validated below a node this transaction removed).</summary>
    private Entry Touch(string path)
    {
        if (entries.TryGetValue(path, out var entry)) return entry;
        return UnderRemoved(path) ? Record(path, null, Absent, validate: false) : Record(path, live.Get(path));
    }

    /// <summary><see cref="Touch(string)"/> of a path whose live node the caller has found already.</summary>
    private Entry Touch(string path, Node? liveNode)
    {
        if (entries.TryGetValue(path, out var entry)) return entry;
        return UnderRemoved(path) ? Record(path, null, Absent, validate: false) : Record(path, liveNode);
    }

    /// <summary>Below a node this transaction removed, the live descendants are gone.</summary>
    private bool UnderRemoved(string path)
    {
        foreach (var root in removedRoots)
            if (XenStorePath.IsAtOrBelow(path, root)) return true;
        return false;
    }

    /// <summary>The node as this transaction sees it, without recording the access.</summary>
    private Node? Peek(string path) =>
        entries.TryGetValue(path, out var entry) ? entry.Node : UnderRemoved(path) ? null : live.Get(path);

    /// <summary>
    /// Keeps one more touched node, charged to the connection. An unprivileged connection is
    /// refused (and the transaction failed) at its transaction-nodes limit, ENOSPC as in
    /// cxenstored, from then on for every new node; or at its domain's memory quota, ENOMEM.
    /// </summary>
    private Entry Record(string path, Node? node, ulong generation, bool validate = true)
    {
        var charge = MemoryCharge.TransactionEntry(path);
        if (!connection.Privileged)
        {
            if (domains.QuotasOf(connection.DomainId).TransactionNodes is > 0 and var limit && entries.Count >= limit)
                Refuse(XenStoreErrorCode.ENOSPC);
            if (memoryQuotaExceeded(charge)) Refuse(XenStoreErrorCode.ENOMEM);
        }
        var entry = new Entry(path, node, generation, validate);
        entries[path] = entry;
        accessOrder.Add(entry);
        ChargedBytes += charge;
        return entry;
    }

    /// <summary>
    /// Records a live node (or its absence) as first seen, for commit to validate. A directory
    /// is kept as it is now, so the live store shares its tree first (a leaf found is a copy).
    /// </summary>
    private Entry Record(string path, Node? liveNode)
    {
        if (liveNode is { Children.Count: > 0 }) live.Share();
        return Record(path, liveNode, liveNode?.Generation ?? Absent);
    }

    private void Refuse(XenStoreErrorCode code)
    {
        Fail(code);
        throw new TransactionLimitException(code);
    }

    private void Adjust(uint owner, int delta) => ownedDelta[owner] = ownedDelta.GetValueOrDefault(owner) + delta;

    /// <summary>One node as this transaction sees it.</summary>
    private sealed class Entry(string path, Node? node, ulong recorded, bool validate)
    {
        public string Path { get; } = path;
        public int Depth { get; } = path == "/" ? 0 : path.AsSpan().Count('/');

        /// <summary>The transaction's version; null when absent.</summary>
        public Node? Node { get; set; } = node;

        /// <summary>Generation at first touch (or <see cref="Absent"/>), checked at commit.</summary>
        public ulong Recorded { get; } = recorded;

        /// <summary>False for nodes below one this transaction removed: nothing live to compare.</summary>
        public bool Validate { get; } = validate;

        /// <summary>Changed by the transaction: applied at commit.</summary>
        public bool Dirty { get; set; }

        /// <summary>The parent's entry when this transaction created the node: commit builds new subtrees from these links.</summary>
        public Entry? MadeUnder { get; set; }

        /// <summary>The live node found for this path when the commit validated it (<see cref="Valid"/>), parents first.</summary>
        public Node? LiveAtCommit { get; set; }

        /// <summary>Existed, was removed and created again: the live subtree goes first.</summary>
        public bool Recreated { get; set; }

        public bool FireWatch { get; set; }
        public ChangeEvent Change { get; set; }
    }
}
