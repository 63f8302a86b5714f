using XenStore.Protocol;

namespace XenStore.Tree;

/// <summary>
/// One child as a child map holds it: a directory by reference, a leaf by its four fields,
/// with no object of its own. Almost every node of a host's store is a leaf, and a leaf
/// object cost 48 bytes beside the map's reference to it; here it costs 24 bytes more than the
/// reference. Above all the collector has one object fewer per node to copy while a store
/// grows and to mark while it is large. A leaf is made again, as a short-lived
/// <see cref="Node"/>, when someone asks for it.
/// </summary>
internal readonly struct ChildEntry
{
    private readonly byte[]? value;
    private readonly PermissionList? permissions;
    private readonly ulong generation;

    private ChildEntry(DirectoryNode directory) => Item = directory;

    private ChildEntry(string removedName) => Item = removedName;

    private ChildEntry(string name, byte[] value, PermissionList permissions, ulong generation)
    {
        Item = name;
        this.value = value;
        this.permissions = permissions;
        this.generation = generation;
    }

    /// <summary>A directory node, or a leaf's name.</summary>
    private object Item { get; }

    /// <summary>The entry for <paramref name="child"/>: a leaf's fields (already pooled by the node), a directory itself.</summary>
    public static ChildEntry Of(Node child) =>
        child is DirectoryNode directory ? new ChildEntry(directory) : new ChildEntry(child.Name, child.Value, child.Permissions, child.Generation);

    /// <summary>An entry with a name and nothing else: a large map's mark that the child of that name was removed (<see cref="ChildLog"/>).</summary>
    public static ChildEntry Removed(string name) => new(name);

    /// <summary>The child's name.</summary>
    public string Name => Item as string ?? ((Node)Item).Name;

    /// <summary>The child as a node: the directory held, or a new leaf with the fields held.</summary>
    public Node ToNode() => Item as Node ?? LeafNode.Restore((string)Item, value!, permissions!, generation);
}
