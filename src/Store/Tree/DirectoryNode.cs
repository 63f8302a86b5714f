using XenStore.Protocol;

namespace XenStore.Tree;

/// <summary>A node with at least one child.</summary>
internal sealed class DirectoryNode : Node
{
    private readonly ChildMap children;

    public DirectoryNode(string name, byte[] value, PermissionList permissions, ulong generation, ChildMap children)
        : base(name, value, permissions, generation) => this.children = children;

    public DirectoryNode(Node source, byte[] value, PermissionList permissions, ulong generation, ChildMap children)
        : base(source, value, permissions, generation) => this.children = children;

    public override ChildMap Children => children;
}
