using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The nodes as one request sees them: the live store, or a transaction's view of it.
/// Handlers are written once against this and work the same inside and outside transactions.
/// </summary>
internal interface INodeStore
{
    /// <summary>The node at a canonical path, or null. In a transaction this records the access.</summary>
    Node? Get(string path);

    /// <summary>
    /// The deepest node strictly above <paramref name="path"/> that exists, and its path,
    /// found in O(length of the path). In a transaction only that node is recorded, not each
    /// missing level in between: commit validation needs no more, since creating any of them
    /// changes that ancestor's generation.
    /// </summary>
    (Node Node, string Path) NearestAncestor(string path);

    /// <summary>
    /// Creates <paramref name="path"/> (holding <paramref name="value"/>) and every missing
    /// level between it and <paramref name="ancestor"/>, which exists, in O(length of the path).
    /// </summary>
    void CreateBelow(string ancestor, string path, byte[] value, PermissionList permissions);

    /// <summary>Creates a node whose parent exists and which does not.</summary>
    void Create(string path, byte[] value, PermissionList permissions);

    /// <summary>Replaces the value and permissions of an existing node.</summary>
    void Update(string path, byte[] value, PermissionList permissions);

    /// <summary>Removes an existing node and its subtree, notifying watches as C does.</summary>
    void Delete(string path);

    /// <summary>Notifies watches of a change (at once, or at commit in a transaction).</summary>
    void Notify(ChangeEvent change);

    /// <summary>Nodes the domain would own after this store's pending changes, for the nodes quota.</summary>
    int NodesOwnedBy(uint domid);
}
