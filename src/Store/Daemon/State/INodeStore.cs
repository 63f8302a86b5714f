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
