using XenStore.Protocol;

namespace XenStore.Tree;

/// <summary>A node without children: no field for them, 8 bytes less than a directory.</summary>
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

    public override ChildMap Children => ChildMap.Empty;
}
