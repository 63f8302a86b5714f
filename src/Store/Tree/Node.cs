using XenStore.Protocol;

namespace XenStore.Tree;

/// <summary>
/// One immutable node of the store. A change builds a new node and new copies of its
/// ancestors (path copying), so any root reference is a consistent snapshot of the whole store.
/// </summary>
public sealed class Node
{
    /// <summary>
    /// A node with these fields; nothing is copied, so the caller gives up <paramref name="value"/>
    /// (a short name or value may be replaced by an equal one other nodes share, see <see cref="InternPool"/>).
    /// </summary>
    public Node(string name, byte[] value, PermissionList permissions, ulong generation, ChildMap children)
    {
        Name = InternPool.Name(name);
        Value = InternPool.Value(value);
        Permissions = permissions;
        Generation = generation;
        Children = children;
    }

    /// <summary>A copy with these fields, whose name and value come from a node already (pooled or long).</summary>
    private Node(Node source, byte[] value, PermissionList permissions, ulong generation, ChildMap children)
    {
        Name = source.Name;
        Value = ReferenceEquals(value, source.Value) ? value : InternPool.Value(value);
        Permissions = permissions;
        Generation = generation;
        Children = children;
    }

    /// <summary>The last path component ("" for the root).</summary>
    public string Name { get; }

    /// <summary>The value bytes (may be empty, may contain NUL).</summary>
    public byte[] Value { get; }

    /// <summary>Who owns the node and who may read or write it.</summary>
    public PermissionList Permissions { get; }

    /// <summary>
    /// Stamp of the last change to this node's own value, permissions or child list (not to a
    /// child's value). Transactions compare it to detect conflicts; DIRECTORY_PART reports it.
    /// </summary>
    public ulong Generation { get; }

    /// <summary>The children, in creation order.</summary>
    public ChildMap Children { get; }

    /// <summary>A new node without children.</summary>
    public static Node Leaf(string name, byte[] value, PermissionList permissions, ulong generation) =>
        new(name, value, permissions, generation, ChildMap.Empty);

    /// <summary>A copy with a new value and permissions, stamped <paramref name="generation"/>.</summary>
    public Node WithContent(byte[] value, PermissionList permissions, ulong generation) =>
        new(this, value, permissions, generation, Children);

    /// <summary>A copy with a new child list, stamped <paramref name="generation"/>.</summary>
    public Node WithChildren(ChildMap children, ulong generation) =>
        new(this, Value, Permissions, generation, children);

    /// <summary>Replaces a child without counting it as a change of this node (its generation stays).</summary>
    public Node WithUpdatedChild(Node child) => new(this, Value, Permissions, Generation, Children.Set(child));

    /// <summary>The name, generation and child count, for debugging.</summary>
    public override string ToString() => $"{Name} gen={Generation} children={Children.Count}";
}
