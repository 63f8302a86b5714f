using XenStore.Protocol;

namespace XenStore.Tree;

/// <summary>
/// A node without children. A child map keeps a leaf's fields rather than the object
/// (<see cref="ChildEntry"/>), so the leaves a lookup returns are made on the way out and die young.
/// </summary>
internal sealed class LeafNode : Node
{
    public LeafNode(string name, byte[] value, PermissionList permissions, ulong generation)
        : base(name, value, permissions, generation)
    {
    }

    public LeafNode(Node source, byte[] value, PermissionList permissions, ulong generation)
        : base(source, value, permissions, generation)
    {
    }

    private LeafNode(string name, byte[] value, PermissionList permissions, ulong generation, bool pooled)
        : base(name, value, permissions, generation, pooled)
    {
    }

    public override ChildMap Children => ChildMap.Empty;

    /// <summary>The leaf a child map held as fields, which were pooled when it was first made.</summary>
    public static LeafNode Restore(string name, byte[] value, PermissionList permissions, ulong generation) =>
        new(name, value, permissions, generation, pooled: true);
}
