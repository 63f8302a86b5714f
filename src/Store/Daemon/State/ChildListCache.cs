using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The last child list DIRECTORY_PART built. A client pages through a large directory with
/// one request per 4 KiB chunk, all naming the same unchanged node; building the whole list
/// once instead of per chunk keeps a listing linear in the directory's size. Nodes are
/// immutable, so the node itself identifies the list. Used under the daemon lock.
/// </summary>
internal sealed class ChildListCache
{
    private Node? node;
    private byte[] list = [];

    public byte[] Get(Node directory)
    {
        if (!ReferenceEquals(directory, node))
        {
            list = Handlers.NodeHandlers.ChildList(directory, Handlers.NodeHandlers.ChildBytes(directory));
            node = directory;
        }
        return list;
    }
}
