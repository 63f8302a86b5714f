using XenStore.Protocol;

namespace XenStore.Tree;

/// <summary>
/// Path operations on an immutable tree. Walks are iterative (XSA-418: a deep tree must not
/// exhaust the stack), and every update returns a new root sharing all untouched subtrees.
/// </summary>
public static class NodeTree
{
    /// <summary>The node at an absolute, valid <paramref name="path"/>, or null.</summary>
    public static Node? Lookup(Node root, string path)
    {
        var node = root;
        var start = 1;
        while (start < path.Length)
        {
            var slash = path.IndexOf('/', start);
            var end = slash < 0 ? path.Length : slash;
            node = node.Children.Get(path.AsSpan(start, end - start));
            if (node is null) return null;
            start = end + 1;
        }
        return node;
    }

    /// <summary>
    /// The deepest node strictly above <paramref name="path"/> that exists, in one walk from
    /// the root, and the length of its path within <paramref name="path"/> (0 for the root).
    /// </summary>
    public static Node DeepestAncestor(Node root, string path, out int end)
    {
        var node = root;
        end = 0;
        var start = 1;
        while (start < path.Length)
        {
            var slash = path.IndexOf('/', start);
            if (slash < 0) break;
            var child = node.Children.Get(path.AsSpan(start, slash - start));
            if (child is null) break;
            node = child;
            end = slash;
            start = slash + 1;
        }
        return node;
    }

    /// <summary>
    /// A new chain of nodes for the components of <paramref name="path"/> after
    /// <paramref name="from"/> (the end of an existing ancestor's path), built bottom-up so
    /// that each node is made once: the last holds <paramref name="value"/>, the others are
    /// empty. Node i is stamped with <paramref name="generations"/>[i] if it is the last,
    /// else with its child's (a node gains its child when the child is created). Returns the
    /// top of the chain, to be attached with <see cref="Replace(Node, string, Node?, ulong, TreeEdit?)"/>.
    /// </summary>
    public static Node Chain(string path, int from, byte[] value, PermissionList permissions, ReadOnlySpan<ulong> generations)
    {
        var levels = generations.Length;
        Node? below = null;
        var end = path.Length;
        for (var i = levels - 1; i >= 0; i--)
        {
            var start = path.LastIndexOf('/', end - 1) + 1;
            if (start <= from) throw new ArgumentException($"{path} has fewer than {levels} levels below {from}.", nameof(generations));
            var name = path[start..end];
            below = below is null
                ? Node.Leaf(name, value, permissions, generations[i])
                : Node.Create(name, [], permissions, generations[i + 1], ChildMap.Empty.Set(below));
            end = start - 1;
        }
        return below ?? throw new ArgumentException("An empty chain.", nameof(generations));
    }

    /// <summary>
    /// Replaces (or, with <paramref name="replacement"/> null, removes) the node at
    /// <paramref name="path"/>, copying its ancestors. The parent must exist. A child added or
    /// removed stamps the parent with <paramref name="generation"/>; replacing a child in
    /// place leaves ancestors' generations alone.
    /// </summary>
    public static Node Replace(Node root, string path, Node? replacement, ulong generation) =>
        Replace(root, path, replacement, generation, null);

    /// <summary>
    /// <see cref="Replace(Node, string, Node?, ulong)"/> under <paramref name="edit"/>: arrays it
    /// owns are written in place, and the copying stops at the first ancestor that stays the
    /// same node (then the root returned is <paramref name="root"/> itself).
    /// </summary>
    internal static Node Replace(Node root, string path, Node? replacement, ulong generation, TreeEdit? edit)
    {
        if (path == "/") return replacement ?? throw new InvalidOperationException("The root cannot be removed.");
        // Walked by spans of the path: every write passes here, and splitting the path into
        // strings was a third of the garbage a write made.
        var depth = path.AsSpan().Count('/');
        var chain = new Node[depth];
        var node = root;
        var start = 1;
        for (var i = 0; i < depth - 1; i++)
        {
            chain[i] = node;
            var slash = path.IndexOf('/', start);
            node = node.Children.Get(path.AsSpan(start, slash - start)) ?? throw new InvalidOperationException($"Parent of {path} is missing.");
            start = slash + 1;
        }
        var parent = node;
        var existing = parent.Children.Get(path.AsSpan(start));
        Node rebuilt;
        if (replacement is null)
            rebuilt = existing is null ? parent : parent.WithChildren(parent.Children.Remove(existing.Name, edit), generation);
        else if (existing is null)
            rebuilt = parent.WithChildren(parent.Children.Set(replacement, edit), generation);
        else
            rebuilt = parent.WithUpdatedChild(replacement, edit);
        var original = parent;
        for (var i = depth - 2; i >= 0; i--)
        {
            if (ReferenceEquals(rebuilt, original)) return root;
            original = chain[i];
            rebuilt = original.WithUpdatedChild(rebuilt, edit);
        }
        return rebuilt;
    }

    /// <summary>Every node of a subtree with its path, parents before children, iteratively.</summary>
    public static IEnumerable<(string Path, Node Node)> Walk(Node top, string topPath)
    {
        var stack = new Stack<(string, Node)>();
        stack.Push((topPath, top));
        while (stack.Count > 0)
        {
            var (path, node) = stack.Pop();
            yield return (path, node);
            foreach (var child in node.Children.InOrder().Reverse())
                stack.Push((Protocol.XenStorePath.Combine(path, child.Name), child));
        }
    }
}
