using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The committed store: an immutable tree behind one root reference, plus what each owner
/// holds (node count for the nodes quota, bytes for the memory quota). Used under the daemon
/// lock only.
/// </summary>
internal sealed class LiveStore : INodeStore
{
    private readonly XenStoreDaemon daemon;
    private readonly Dictionary<uint, Holding> owned = [];

    public LiveStore(XenStoreDaemon daemon, Node root)
    {
        this.daemon = daemon;
        Root = root;
        Count("/", root, +1);
    }

    /// <summary>The current root: a consistent snapshot of the whole store.</summary>
    public Node Root { get; private set; }

    public Node? Get(string path) => NodeTree.Lookup(Root, path);

    public int NodesOwnedBy(uint domid) => owned.GetValueOrDefault(domid).Nodes;

    /// <summary>Memory the nodes owned by <paramref name="domid"/> are charged (<see cref="MemoryCharge.Node"/>).</summary>
    public long BytesOwnedBy(uint domid) => owned.GetValueOrDefault(domid).Bytes;

    /// <summary>How many nodes exist in all.</summary>
    public int NodeCount => owned.Values.Sum(h => h.Nodes);

    public void Create(string path, byte[] value, PermissionList permissions)
    {
        daemon.Journal?.Record(Persistence.JournalOp.Put(path, value, permissions));
        var generation = daemon.NextGeneration();
        var node = Node.Leaf(XenStorePath.Name(path), value, permissions, generation);
        Root = NodeTree.Replace(Root, path, node, generation);
        Count(path, node, +1);
    }

    public void Update(string path, byte[] value, PermissionList permissions)
    {
        var node = Get(path) ?? throw new InvalidOperationException($"{path} does not exist");
        daemon.Journal?.Record(Persistence.JournalOp.Put(path, value, permissions));
        var generation = daemon.NextGeneration();
        var updated = node.WithContent(value, permissions, generation);
        Root = path == "/" ? updated : NodeTree.Replace(Root, path, updated, generation);
        Count(path, node, -1);
        Count(path, updated, +1);
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
            Count(p, n, -1);
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
        foreach (var (p, n) in NodeTree.Walk(node, path)) Count(p, n, -1);
        Root = NodeTree.Replace(Root, path, null, daemon.NextGeneration());
    }

    public void Notify(ChangeEvent change) => daemon.FireWatches(change);

    /// <summary>Recounts owners from scratch (after bulk changes such as a domain's removal).</summary>
    public void Recount()
    {
        owned.Clear();
        foreach (var (p, n) in NodeTree.Walk(Root, "/")) Count(p, n, +1);
    }

    /// <summary>Replaces the whole tree (restoring a snapshot).</summary>
    public void Reset(Node newRoot)
    {
        Root = newRoot;
        Recount();
    }

    /// <summary>Adds (+1) or removes (-1) one node from its owner's holding.</summary>
    private void Count(string path, Node node, int sign)
    {
        var owner = node.Permissions.Owner;
        var held = owned.GetValueOrDefault(owner);
        held = new Holding(held.Nodes + sign, held.Bytes + sign * MemoryCharge.Node(path, node));
        if (held.Nodes <= 0) owned.Remove(owner);
        else owned[owner] = held;
    }

    /// <summary>What one owner holds in the committed store.</summary>
    private readonly record struct Holding(int Nodes, long Bytes);
}
