using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The committed store: a tree behind one root reference, plus what each owner holds (node
/// count for the nodes quota, bytes for the memory quota). Every change is entered in the
/// current <see cref="ChangeSet"/> (journal entry, watch event) and can be undone until the
/// change set is settled: the old root is kept, the tree's writes in place and the holdings'
/// changes are logged, so undoing costs what the changes cost. Used under the daemon lock only.
/// </summary>
/// <remarks>
/// The tree's newest arrays are changed in place (<see cref="TreeEdit"/>), so a node found
/// here is only good until the next change. Whoever keeps one longer (a transaction, the
/// snapshot writer) takes it through <see cref="Snapshot"/> or calls <see cref="Share"/>.
/// </remarks>
internal sealed class LiveStore : INodeStore, IUndoable
{
    private readonly ChangeSet changes;
    private readonly Func<int, bool> mayBeWatched;
    private readonly Dictionary<uint, Holding> owned = [];
    private readonly List<(uint Owner, Holding Change)> holdingLog = [];
    private readonly TreeEdit edit = new();
    private Node? rootBeforeChanges;
    private ulong generation;

    /// <param name="changes">Where each change is entered.</param>
    /// <param name="mayBeWatched">Whether some watched path has this length (a removed node's exact event is made only then); all are, if not given.</param>
    public LiveStore(ChangeSet changes, Func<int, bool>? mayBeWatched = null)
    {
        this.changes = changes;
        this.mayBeWatched = mayBeWatched ?? (static _ => true);
        Root = Node.Leaf("", [], PermissionList.Dom0Only, NextGeneration());
        Count("/", Root, +1);
    }

    /// <summary>The current root, to be read before the next change (<see cref="Snapshot"/> to keep it).</summary>
    public Node Root { get; private set; }

    /// <summary>The current root, which no later change will alter: a consistent snapshot of the whole store.</summary>
    public Node Snapshot()
    {
        Share();
        return Root;
    }

    /// <summary>
    /// Lets the caller keep any node found so far: later changes copy what they change
    /// instead of writing it in place. Not inside a change, whose undo writes in place.
    /// </summary>
    public void Share()
    {
        if (rootBeforeChanges is not null) throw new InvalidOperationException("The tree is shared only between changes.");
        edit.Share();
    }

    public Node? Get(string path) => NodeTree.Lookup(Root, path);

    /// <summary>
    /// Takes the whole tree recovery built (the snapshot's, with the journal's node changes
    /// replayed on it) as the store, at the end of recovery: its root, its owners' holdings as
    /// counted while it was built, and generations going on above its nodes'. Nothing is
    /// journalled, notified or undoable.
    /// </summary>
    public void Load(Persistence.LoadedTree tree)
    {
        if (rootBeforeChanges is not null) throw new InvalidOperationException("A tree is loaded only outside a change.");
        Root = tree.Root;
        owned.Clear();
        foreach (var (owner, (nodes, bytes)) in tree.Holdings) owned[owner] = new Holding(nodes, bytes);
        generation = Math.Max(generation, tree.Generations);
    }

    public int NodesOwnedBy(uint domid) => owned.GetValueOrDefault(domid).Nodes;

    /// <summary>The domains that own at least one node.</summary>
    public IEnumerable<uint> Owners => owned.Keys;

    /// <summary>Memory the nodes owned by <paramref name="domid"/> are charged (<see cref="MemoryCharge.Node(string, Node)"/>).</summary>
    public long BytesOwnedBy(uint domid) => owned.GetValueOrDefault(domid).Bytes;

    /// <summary>How many nodes exist in all.</summary>
    public int NodeCount => owned.Values.Sum(h => h.Nodes);

    /// <summary>Generations order every version of every node, transactions' included (commit checks them).</summary>
    public ulong NextGeneration() => ++generation;

    public void Create(string path, byte[] value, PermissionList permissions)
    {
        BeginChange();
        if (changes.Journaling) changes.Record(Persistence.JournalOp.Put(path, value, permissions));
        var generation = NextGeneration();
        var node = Node.Leaf(XenStorePath.Name(path), value, permissions, generation);
        Root = NodeTree.Replace(Root, path, node, generation, edit);
        Count(path, node, +1);
    }

    public (Node Node, string Path) NearestAncestor(string path)
    {
        var node = NodeTree.DeepestAncestor(Root, path, out var end);
        return (node, end == 0 ? "/" : path[..end]);
    }

    /// <summary>
    /// Creates <paramref name="path"/> and its missing ancestors below <paramref name="ancestor"/>
    /// in O(length of the path): the chain is built bottom-up and attached with one
    /// <see cref="NodeTree.Replace(Node, string, Node?, ulong, TreeEdit?)"/>, instead of one walk and copy of the whole chain per
    /// level, which made a 990-level write quadratic. Journalled and counted per node.
    /// </summary>
    public void CreateBelow(string ancestor, string path, byte[] value, PermissionList permissions)
    {
        var from = ancestor == "/" ? 0 : ancestor.Length;
        var levels = 0;
        for (var i = from + 1; i < path.Length; i++)
            if (path[i] == '/') levels++;
        levels++;
        BeginChange();
        var generations = new ulong[levels];
        for (var i = 0; i < levels; i++) generations[i] = NextGeneration();
        var top = NodeTree.Chain(path, from, value, permissions, generations);
        var topEnd = path.IndexOf('/', from + 1);
        if (topEnd < 0) topEnd = path.Length;
        if (changes.Journaling)
            for (var end = topEnd; ; end = IndexOrEnd(path, end + 1))
            {
                changes.Record(Persistence.JournalOp.Put(path[..end], end == path.Length ? value : [], permissions));
                if (end == path.Length) break;
            }
        Root = NodeTree.Replace(Root, path[..topEnd], top, generations[0], edit);
        // Each node's charge needs only its path's length: the prefixes are not made.
        var bytes = 0L;
        var node = top;
        for (var end = topEnd; ; end = IndexOrEnd(path, end + 1))
        {
            bytes += MemoryCharge.Node(end, node);
            if (end == path.Length) break;
            node = node.Children.InOrder().First();
        }
        Count(permissions.Owner, new Holding(levels, bytes));
    }

    /// <summary>
    /// Attaches <paramref name="subtree"/>, made elsewhere (a transaction's new nodes), at
    /// <paramref name="path"/>, whose parent exists and which does not, in one
    /// <see cref="NodeTree.Replace(Node, string, Node?, ulong, TreeEdit?)"/>. <paramref name="nodes"/> are its nodes with their paths,
    /// parents first: each is journalled and counted.
    /// </summary>
    public void Attach(string path, Node subtree, IReadOnlyList<(string Path, Node Node)> nodes)
    {
        BeginChange();
        if (changes.Journaling)
            foreach (var (p, n) in nodes) changes.Record(Persistence.JournalOp.Put(p, n.Value, n.Permissions));
        Root = NodeTree.Replace(Root, path, subtree, subtree.Generation, edit);
        foreach (var (p, n) in nodes) Count(p, n, +1);
    }

    private static int IndexOrEnd(string path, int from)
    {
        var slash = path.IndexOf('/', from);
        return slash < 0 ? path.Length : slash;
    }

    public void Update(string path, byte[] value, PermissionList permissions)
    {
        var node = Get(path) ?? throw new InvalidOperationException($"{path} does not exist");
        BeginChange();
        if (changes.Journaling) changes.Record(Persistence.JournalOp.Put(path, value, permissions));
        var generation = NextGeneration();
        var updated = node.WithContent(value, permissions, generation);
        Root = path == "/" ? updated : NodeTree.Replace(Root, path, updated, generation, edit);
        Count(path, node, -1);
        Count(path, updated, +1);
    }

    public void Delete(string path)
    {
        var node = Get(path) ?? throw new InvalidOperationException($"{path} does not exist");
        BeginChange();
        if (changes.Journaling) changes.Record(Persistence.JournalOp.Delete(path));
        var parent = Get(XenStorePath.Parent(path));
        // As cxenstored 4.17: one "exact" event per removed node, children before parents,
        // then the removed node's own event for the watches at and above it. The walk brings
        // each node's parent, so a deep chain is not looked up from the root per node, and an
        // exact event, which only a watch on that very path sees, is made only if some watched
        // path is as long.
        for (var walk = new PostOrderWalk(node, path, parent); walk.MoveNext();)
        {
            Count(walk.PathLength, walk.Node, -1);
            if (mayBeWatched(walk.PathLength))
                Notify(new ChangeEvent(walk.Path, true, walk.Node.Permissions, null, walk.Parent?.Permissions));
        }
        Notify(new ChangeEvent(path, false, node.Permissions, null, parent?.Permissions));
        Root = NodeTree.Replace(Root, path, null, NextGeneration(), edit);
    }

    /// <summary>Removes a subtree without notifying anyone (transaction commit replays its own events).</summary>
    public void DeleteSilently(string path)
    {
        var node = Get(path);
        if (node is null) return;
        BeginChange();
        if (changes.Journaling) changes.Record(Persistence.JournalOp.Delete(path));
        for (var walk = new PostOrderWalk(node, path, null); walk.MoveNext();) Count(walk.PathLength, walk.Node, -1);
        Root = NodeTree.Replace(Root, path, null, NextGeneration(), edit);
    }

    /// <summary>Watches hear of the change once the change set is journalled.</summary>
    public void Notify(ChangeEvent change) => changes.Notify(change);

    void IUndoable.Commit()
    {
        rootBeforeChanges = null;
        holdingLog.Clear();
        edit.Forget();
    }

    void IUndoable.Undo()
    {
        if (rootBeforeChanges is null) return;
        edit.Restore();
        Root = rootBeforeChanges;
        for (var i = holdingLog.Count - 1; i >= 0; i--)
        {
            var (owner, change) = holdingLog[i];
            Apply(owner, new Holding(-change.Nodes, -change.Bytes));
        }
        rootBeforeChanges = null;
        holdingLog.Clear();
    }

    /// <summary>At the first change of a change set, remembers the tree to go back to.</summary>
    private void BeginChange()
    {
        if (rootBeforeChanges is not null) return;
        rootBeforeChanges = Root;
        changes.Enlist(this);
    }

    /// <summary>Adds (+1) or removes (-1) one node from its owner's holding.</summary>
    private void Count(string path, Node node, int sign) => Count(path.Length, node, sign);

    private void Count(int pathLength, Node node, int sign) =>
        Count(node.Permissions.Owner, new Holding(sign, sign * MemoryCharge.Node(pathLength, node)));

    private void Count(uint owner, Holding change)
    {
        Apply(owner, change);
        if (rootBeforeChanges is not null) holdingLog.Add((owner, change));
    }

    private void Apply(uint owner, Holding change)
    {
        var held = owned.GetValueOrDefault(owner);
        held = new Holding(held.Nodes + change.Nodes, held.Bytes + change.Bytes);
        if (held.Nodes <= 0) owned.Remove(owner);
        else owned[owner] = held;
    }

    /// <summary>What one owner holds in the committed store.</summary>
    private readonly record struct Holding(int Nodes, long Bytes);
}
