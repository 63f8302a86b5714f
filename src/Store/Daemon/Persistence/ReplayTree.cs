using System.Runtime.CompilerServices;
using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// The store as recovery rebuilds it: the snapshot's tree (or an empty root), with the
/// journal's node changes applied in place to mutable drafts of the nodes they touch, then
/// turned into immutable nodes once, at <see cref="Finish"/>. Replaying a change on the
/// live store copies the path to it: a journal tail of 200,000 changes made 200,000 such
/// copies (and the garbage collections they cost) where the drafts make each touched
/// directory once. Untouched subtrees stay the snapshot's nodes. The owners' holdings are
/// kept up to date as the drafts change.
/// <para>
/// A change this daemon could not have journalled (an invalid path, the root removed)
/// throws <see cref="InvalidDataException"/>. A node whose parent is missing is created with
/// empty parents of its permissions, as replaying on the live store did before: parents are
/// journalled before their children, so a gap means a damaged history, and the node is kept
/// rather than lost.
/// </para>
/// </summary>
internal sealed class ReplayTree
{
    /// <summary>Above this many children a draft keeps an index of their positions.</summary>
    private const int IndexAbove = 8;

    private readonly Draft root;
    private readonly Dictionary<uint, (int Nodes, long Bytes)> holdings;
    private ulong generation;

    public ReplayTree(LoadedTree start)
    {
        root = new Draft(start.Root);
        holdings = new Dictionary<uint, (int Nodes, long Bytes)>(start.Holdings);
        generation = start.Generations;
    }

    /// <summary>A store holding only the root, owned by dom0, as a new daemon's.</summary>
    public static LoadedTree Empty()
    {
        var top = Node.Leaf("", [], PermissionList.Dom0Only, 1);
        return new LoadedTree(top, new Dictionary<uint, (int, long)> { [0] = (1, MemoryCharge.Node(1, top)) }, 1);
    }

    /// <summary>Applies a journalled PUT or DELETE of a node.</summary>
    public void Apply(JournalOp op)
    {
        switch (op.Kind)
        {
            case JournalOpKind.PutNode when XenStorePath.IsValidAbsolute(op.Path, pathMax: 0):
                Put(op.Path, op.Value!, op.Permissions!);
                break;
            case JournalOpKind.DeleteNode when op.Path != "/" && XenStorePath.IsValidAbsolute(op.Path, pathMax: 0):
                Delete(op.Path);
                break;
            case JournalOpKind.PutNode or JournalOpKind.DeleteNode:
                throw new InvalidDataException($"impossible {op.Kind} entry: path '{op.Path}'");
            default:
                throw new ArgumentException($"{op.Kind} is not a change of a node.", nameof(op));
        }
    }

    /// <summary>The store as replayed: each draft made an immutable node, bottom-up, iteratively (a chain may be deep).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public LoadedTree Finish()
    {
        var stack = new Stack<(Draft Draft, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (draft, expanded) = stack.Pop();
            if (draft.Children is null)
            {
                draft.Build(draft.Original?.Children ?? ChildMap.Empty);
                continue;
            }
            if (!expanded)
            {
                stack.Push((draft, true));
                foreach (var child in draft.Children)
                    if (child is Draft d) stack.Push((d, false));
                continue;
            }
            var children = new Node[draft.Count];
            var i = 0;
            foreach (var child in draft.Children)
                if (child is not null) children[i++] = child as Node ?? ((Draft)child).Built!;
            try
            {
                draft.Build(ChildMap.FromOrdered(children));
            }
            catch (ArgumentException e)
            {
                // Cannot happen: a name is looked up before it is added.
                throw new InvalidDataException($"node '{draft.Name}': {e.Message}", e);
            }
        }
        return new LoadedTree(root.Built!, holdings, generation);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Put(string path, byte[] value, PermissionList perms)
    {
        var node = root;
        var start = 1;
        while (start < path.Length)
        {
            var slash = path.IndexOf('/', start);
            var end = slash < 0 ? path.Length : slash;
            var name = path[start..end];
            var child = node.Open(name);
            if (child is null)
            {
                // A missing parent is made empty, with the node's permissions (see the summary).
                var made = end == path.Length ? value : [];
                child = new Draft(name, made, perms, ++generation);
                node.Add(child, ++generation);
                Charge(perms.Owner, +1, MemoryCharge.Node(end, name, perms, made.Length));
                if (end == path.Length) return;
            }
            node = child;
            start = end + 1;
        }
        Charge(node.Permissions.Owner, -1, -MemoryCharge.Node(path.Length, node.Name, node.Permissions, node.Value.Length));
        node.Value = value;
        node.Permissions = perms;
        node.Generation = ++generation;
        Charge(perms.Owner, +1, MemoryCharge.Node(path.Length, node.Name, perms, value.Length));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Delete(string path)
    {
        var cut = path.LastIndexOf('/');
        var parent = root;
        var start = 1;
        while (start < cut)
        {
            var slash = path.IndexOf('/', start);
            parent = parent.Open(path[start..slash]);
            if (parent is null) return;
            start = slash + 1;
        }
        var removed = parent.Remove(path[(cut + 1)..], ++generation);
        if (removed is null) return;
        // Every node of the removed subtree leaves its owner's holding.
        var stack = new Stack<(object Node, int PathLength)>();
        stack.Push((removed, path.Length));
        while (stack.Count > 0)
        {
            var (item, length) = stack.Pop();
            if (item is Node n)
            {
                Charge(n.Permissions.Owner, -1, -MemoryCharge.Node(length, n));
                foreach (var child in n.Children.Unordered()) stack.Push((child, length + 1 + child.Name.Length));
                continue;
            }
            var d = (Draft)item;
            Charge(d.Permissions.Owner, -1, -MemoryCharge.Node(length, d.Name, d.Permissions, d.Value.Length));
            foreach (var child in d.AllChildren()) stack.Push((child, length + 1 + Draft.NameOf(child).Length));
        }
    }

    private void Charge(uint owner, int nodes, long bytes)
    {
        var held = holdings.GetValueOrDefault(owner);
        held = (held.Nodes + nodes, held.Bytes + bytes);
        if (held.Nodes <= 0) holdings.Remove(owner);
        else holdings[owner] = held;
    }

    /// <summary>
    /// A node being changed. Its children are its original's until one of them is opened;
    /// then they are a list, in creation order, of untouched nodes and drafts, with removed
    /// ones left as null (so a removal is not a shift of the list).
    /// </summary>
    private sealed class Draft
    {
        private Dictionary<string, int>? index;

        public Draft(Node original)
        {
            Original = original;
            Name = original.Name;
            Value = original.Value;
            Permissions = original.Permissions;
            Generation = original.Generation;
        }

        public Draft(string name, byte[] value, PermissionList permissions, ulong generation)
        {
            Name = name;
            Value = value;
            Permissions = permissions;
            Generation = generation;
        }

        public Node? Original { get; }
        public string Name { get; }
        public byte[] Value { get; set; }
        public PermissionList Permissions { get; set; }
        public ulong Generation { get; set; }

        /// <summary>Null while the original's children are unchanged (or a new draft has none); else nodes, drafts and nulls.</summary>
        public List<object?>? Children { get; private set; }

        /// <summary>Children present (not removed).</summary>
        public int Count { get; private set; }

        public static string NameOf(object child) => child is Node n ? n.Name : ((Draft)child).Name;

        /// <summary>The children as nodes and drafts, in no particular order.</summary>
        public IEnumerable<object> AllChildren() =>
            Children?.OfType<object>() ?? Original?.Children.Unordered() ?? [];

        /// <summary>Makes the children a list, at the first look at them (a new draft has none yet).</summary>
        private List<object?> ChildList()
        {
            if (Children is not null) return Children;
            Children = Original is null ? [] : [.. Original.Children.InOrder()];
            Count = Children.Count;
            if (Count > IndexAbove) BuildIndex();
            return Children;
        }

        /// <summary>The child called <paramref name="name"/> as a draft (made from the node on first use), or null.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public Draft? Open(string name)
        {
            var at = Find(name);
            if (at < 0) return null;
            if (Children![at] is Draft draft) return draft;
            var made = new Draft((Node)Children[at]!);
            Children[at] = made;
            return made;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(Draft child, ulong generation)
        {
            var children = ChildList();
            children.Add(child);
            index?.Add(child.Name, children.Count - 1);
            if (index is null && children.Count > IndexAbove) BuildIndex();
            Count++;
            Generation = generation;
        }

        /// <summary>Takes the child called <paramref name="name"/> out and returns it (a node or a draft), or null.</summary>
        public object? Remove(string name, ulong generation)
        {
            var at = Find(name);
            if (at < 0) return null;
            var removed = Children![at]!;
            Children[at] = null;
            index?.Remove(name);
            Count--;
            Generation = generation;
            return removed;
        }

        /// <summary>The immutable node made by <see cref="Build"/>.</summary>
        public Node? Built { get; private set; }

        public void Build(ChildMap children) => Built = Node.Create(Name, Value, Permissions, Generation, children);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int Find(string name)
        {
            if (Children is null && Original is null) return -1;
            var children = ChildList();
            if (index is not null) return index.GetValueOrDefault(name, -1);
            for (var i = 0; i < children.Count; i++)
                if (children[i] is { } child && NameOf(child) == name) return i;
            return -1;
        }

        private void BuildIndex()
        {
            index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < Children!.Count; i++)
                if (Children[i] is { } child) index[NameOf(child)] = i;
        }
    }
}
