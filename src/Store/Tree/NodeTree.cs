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
    /// Replaces (or, with <paramref name="replacement"/> null, removes) the node at
    /// <paramref name="path"/>, copying its ancestors. The parent must exist. A child added or
    /// removed stamps the parent with <paramref name="generation"/>; replacing a child in
    /// place leaves ancestors' generations alone.
    /// </summary>
    public static Node Replace(Node root, string path, Node? replacement, ulong generation)
    {
        if (path == "/") return replacement ?? throw new InvalidOperationException("The root cannot be removed.");
        var names = Protocol.XenStorePath.Components(path);
        var chain = new Node[names.Length];
        var node = root;
        for (var i = 0; i < names.Length - 1; i++)
        {
            chain[i] = node;
            node = node.Children.Get(names[i]) ?? throw new InvalidOperationException($"Parent of {path} is missing.");
        }
        chain[names.Length - 1] = node;
        var parent = chain[names.Length - 1];
        var leaf = names[^1];
        Node rebuilt;
        if (replacement is null)
            rebuilt = parent.Children.Get(leaf) is null ? parent : parent.WithChildren(parent.Children.Remove(leaf), generation);
        else if (parent.Children.Get(leaf) is null)
            rebuilt = parent.WithChildren(parent.Children.Set(replacement), generation);
        else
            rebuilt = parent.WithUpdatedChild(replacement);
        for (var i = names.Length - 2; i >= 0; i--)
            rebuilt = chain[i].WithUpdatedChild(rebuilt);
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

    /// <summary>Every node of a subtree, children before parents (the order C removes them in).</summary>
    public static List<(string Path, Node Node)> PostOrder(Node top, string topPath)
    {
        var result = new List<(string, Node)>();
        var stack = new Stack<(string Path, Node Node, bool Expanded)>();
        stack.Push((topPath, top, false));
        while (stack.Count > 0)
        {
            var (path, node, expanded) = stack.Pop();
            if (expanded)
            {
                result.Add((path, node));
                continue;
            }
            stack.Push((path, node, true));
            foreach (var child in node.Children.InOrder().Reverse())
                stack.Push((Protocol.XenStorePath.Combine(path, child.Name), child, false));
        }
        return result;
    }
}
