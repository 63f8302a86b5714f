using System.Text;

namespace XenStore.Tree;

/// <summary>
/// The nodes of a subtree, children before parents (the order C removes them in), each with
/// its parent and the length of its path; the path itself is made only when asked for. A
/// removal counts every node by its path's length, and reports a node only to the watches on
/// exactly its path, which are few: making every node's path copied each ancestor's path into
/// each descendant's, 2 MB for one RM of a chain 990 levels deep.
/// </summary>
internal sealed class PostOrderWalk
{
    private readonly string topPath;
    private readonly Stack<Frame> stack = new();

    /// <summary>The names on the way down from the top to the current node, by depth (the top's own is its path).</summary>
    private readonly List<string> names = [""];

    private int depth;

    public PostOrderWalk(Node top, string topPath, Node? topParent)
    {
        this.topPath = topPath;
        stack.Push(new Frame(top, topParent, 0, topPath.Length, Expanded: false));
    }

    /// <summary>The current node.</summary>
    public Node Node { get; private set; } = null!;

    /// <summary>The current node's parent (the top's parent as given).</summary>
    public Node? Parent { get; private set; }

    /// <summary>The length of the current node's path.</summary>
    public int PathLength { get; private set; }

    /// <summary>The current node's path, made now.</summary>
    public string Path
    {
        get
        {
            if (depth == 0) return topPath;
            var path = new StringBuilder(topPath, PathLength);
            for (var level = 1; level <= depth; level++)
            {
                if (path.Length > 1) path.Append('/');
                path.Append(names[level]);
            }
            return path.ToString();
        }
    }

    /// <summary>Moves to the next node; false once every node was visited.</summary>
    public bool MoveNext()
    {
        while (stack.TryPop(out var frame))
        {
            if (frame.Expanded)
            {
                (Node, Parent, PathLength, depth) = (frame.Node, frame.Parent, frame.PathLength, frame.Depth);
                return true;
            }
            // Until this node is visited, only its descendants are expanded: the names above
            // the current depth stay those of its ancestors.
            if (frame.Depth > 0)
            {
                if (names.Count == frame.Depth) names.Add(frame.Node.Name);
                else names[frame.Depth] = frame.Node.Name;
            }
            stack.Push(frame with { Expanded = true });
            var below = frame.PathLength == 1 ? 1 : frame.PathLength + 1;
            foreach (var child in frame.Node.Children.InOrder().Reverse())
                stack.Push(new Frame(child, frame.Node, frame.Depth + 1, below + child.Name.Length, Expanded: false));
        }
        return false;
    }

    private readonly record struct Frame(Node Node, Node? Parent, int Depth, int PathLength, bool Expanded);
}
