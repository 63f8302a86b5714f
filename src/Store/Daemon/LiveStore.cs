using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The committed store: an immutable tree behind one root reference, plus per-owner node
/// counts for the nodes quota. Used under the daemon lock only.
/// </summary>
internal sealed class LiveStore(XenStoreDaemon daemon, Node root) : INodeStore
{
    private readonly Dictionary<uint, int> ownedNodes = new() { [root.Permissions.Owner] = 1 };

    /// <summary>The current root: a consistent snapshot of the whole store.</summary>
    public Node Root { get; private set; } = root;

    public Node? Get(string path) => NodeTree.Lookup(Root, path);

    public int NodesOwnedBy(uint domid) => ownedNodes.GetValueOrDefault(domid);

    /// <summary>How many nodes exist in all.</summary>
    public int NodeCount => ownedNodes.Values.Sum();

    public void Create(string path, byte[] value, PermissionList permissions)
    {
        daemon.Journal?.Record(Persistence.JournalOp.Put(path, value, permissions));
        var generation = daemon.NextGeneration();
        Root = NodeTree.Replace(Root, path, Node.Leaf(XenStorePath.Name(path), value, permissions, generation), generation);
        Count(permissions.Owner, +1);
    }

    public void Update(string path, byte[] value, PermissionList permissions)
    {
        var node = Get(path) ?? throw new InvalidOperationException($"{path} does not exist");
        daemon.Journal?.Record(Persistence.JournalOp.Put(path, value, permissions));
        var generation = daemon.NextGeneration();
        var updated = node.WithContent(value, permissions, generation);
        Root = path == "/" ? updated : NodeTree.Replace(Root, path, updated, generation);
        if (node.Permissions.Owner != permissions.Owner)
        {
            Count(node.Permissions.Owner, -1);
            Count(permissions.Owner, +1);
        }
    }

    public void Delete(string path)
    {
        var node = Get(path) ?? throw new InvalidOperationException($"{path} does not exist");
        daemon.Journal?.Record(Persistence.JournalOp.Delete(path));
        var parent = Get(XenStorePath.Parent(path));
        // As cxenstored 4.17: one "exact" event per removed node, children before parents,
        // then the removed node's own event for the watches at and above it.
        foreach (var (p, n) in NodeTree.PostOrder(node, path))
        {
            Count(n.Permissions.Owner, -1);
            var nodeParent = p == path ? parent : Get(XenStorePath.Parent(p));
            Notify(new ChangeEvent(p, true, n.Permissions, null, nodeParent?.Permissions));
        }
        Notify(new ChangeEvent(path, false, node.Permissions, null, parent?.Permissions));
        Root = NodeTree.Replace(Root, path, null, daemon.NextGeneration());
    }

    /// <summary>Removes a subtree without notifying anyone (transaction commit replays its own events).</summary>
    public void DeleteSilently(string path)
    {
        var node = Get(path);
        if (node is null) return;
        daemon.Journal?.Record(Persistence.JournalOp.Delete(path));
        foreach (var (_, n) in NodeTree.Walk(node, path)) Count(n.Permissions.Owner, -1);
        Root = NodeTree.Replace(Root, path, null, daemon.NextGeneration());
    }

    public void Notify(ChangeEvent change) => daemon.FireWatches(change);

    /// <summary>Recounts owners from scratch (after bulk changes such as a domain's removal).</summary>
    public void Recount()
    {
        ownedNodes.Clear();
        foreach (var (_, n) in NodeTree.Walk(Root, "/")) Count(n.Permissions.Owner, +1);
    }

    /// <summary>Replaces the whole tree (restoring a snapshot).</summary>
    public void Reset(Node newRoot)
    {
        Root = newRoot;
        Recount();
    }

    private void Count(uint owner, int delta)
    {
        var n = ownedNodes.GetValueOrDefault(owner) + delta;
        if (n <= 0) ownedNodes.Remove(owner);
        else ownedNodes[owner] = n;
    }
}
