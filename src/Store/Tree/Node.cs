using System.Diagnostics;
using XenStore.Protocol;

namespace XenStore.Tree;

/// <summary>
/// One immutable node of the store. A change builds a new node and new copies of its
/// ancestors (path copying), so any root reference is a consistent snapshot of the whole store.
/// </summary>
/// <remarks>
/// Two internal forms share this type: a leaf, which has no field for children (almost every
/// node of a host's store is one, and the field cost 8 bytes each), and a directory.
/// <see cref="Create"/> and the With methods pick the form from the child count, so a leaf
/// becomes a directory on its first child and a leaf again when the last one goes.
/// </remarks>
public abstract class Node
{
    /// <summary>A node whose name and value are pooled here (see <see cref="InternPool"/>).</summary>
    private protected Node(string name, byte[] value, PermissionList permissions, ulong generation)
    {
        Name = InternPool.Name(name);
        Value = InternPool.Value(value);
        Permissions = permissions;
        Generation = generation;
    }

    /// <summary>A node whose name and value were pooled already (by an earlier node with these fields).</summary>
    private protected Node(string name, byte[] value, PermissionList permissions, ulong generation, bool pooled)
    {
        Debug.Assert(pooled, "Only fields that a node pooled before come this way.");
        Name = name;
        Value = value;
        Permissions = permissions;
        Generation = generation;
    }

    /// <summary>A copy's fields, whose name comes from a node already (pooled or long).</summary>
    private protected Node(Node source, byte[] value, PermissionList permissions, ulong generation)
    {
        Name = source.Name;
        Value = ReferenceEquals(value, source.Value) ? value : InternPool.Value(value);
        Permissions = permissions;
        Generation = generation;
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

    /// <summary>The children, in creation order (<see cref="ChildMap.Empty"/> for a leaf).</summary>
    public abstract ChildMap Children { get; }

    /// <summary>
    /// A node with these fields. The node keeps its value as an equal array other nodes share, as
    /// a copy on the pinned object heap, or as it is when the collector counts it old already,
    /// and a short name as an equal string others share (see <see cref="InternPool"/>).
    /// </summary>
    public static Node Create(string name, byte[] value, PermissionList permissions, ulong generation, ChildMap children)
    {
        ArgumentNullException.ThrowIfNull(children);
        return children.Count == 0
            ? new LeafNode(name, value, permissions, generation)
            : new DirectoryNode(name, value, permissions, generation, children);
    }

    /// <summary>A new node without children.</summary>
    public static Node Leaf(string name, byte[] value, PermissionList permissions, ulong generation) =>
        new LeafNode(name, value, permissions, generation);

    /// <summary>A copy with a new value and permissions, stamped <paramref name="generation"/>.</summary>
    public Node WithContent(byte[] value, PermissionList permissions, ulong generation) =>
        Copy(value, permissions, generation, Children);

    /// <summary>A copy with a new child list, stamped <paramref name="generation"/>.</summary>
    public Node WithChildren(ChildMap children, ulong generation) =>
        Copy(Value, Permissions, generation, children);

    /// <summary>Replaces a child without counting it as a change of this node (its generation stays).</summary>
    public Node WithUpdatedChild(Node child) => WithUpdatedChild(child, null);

    /// <summary>
    /// <see cref="WithUpdatedChild(Node)"/> under <paramref name="edit"/>: this same node when the
    /// child was written into its map in place (<see cref="TreeEdit"/>).
    /// </summary>
    internal Node WithUpdatedChild(Node child, TreeEdit? edit)
    {
        var children = Children.Set(child, edit);
        return ReferenceEquals(children, Children) ? this : Copy(Value, Permissions, Generation, children);
    }

    /// <summary>The name, generation and child count, for debugging.</summary>
    public override string ToString() => $"{Name} gen={Generation} children={Children.Count}";

    private Node Copy(byte[] value, PermissionList permissions, ulong generation, ChildMap children)
    {
        ArgumentNullException.ThrowIfNull(children);
        return children.Count == 0
            ? new LeafNode(this, value, permissions, generation)
            : new DirectoryNode(this, value, permissions, generation, children);
    }
}
