using System.Runtime.CompilerServices;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The child lists DIRECTORY_PART has built, one per set of names of a large directory. A
/// client pages through a large directory with one request per 4 KiB chunk; each chunk must
/// cost its reply, not the directory, whatever other requests come in between (keeping only
/// the last list let a guest alternating between two directories of 100,000 children rebuild
/// one on every request). A list is kept against its child map's
/// <see cref="ChildMap.NamesVersion"/>: built once per set of names, it survives changes below
/// the children (which copy the directory node but not its names), and goes when no version
/// of the directory with those names is left. It holds no more than the names already
/// charged to the children's owners. Small directories are listed afresh, which costs no
/// more than a reply. Used under the daemon lock.
/// </summary>
internal sealed class ChildListCache
{
    /// <summary>Up to this many children a list is cheaper to build than to keep.</summary>
    private const int BuildBelow = 256;

    private readonly ConditionalWeakTable<object, byte[]> lists = new();

    public byte[] Get(Node directory)
    {
        if (directory.Children.Count <= BuildBelow || directory.Children.NamesVersion is not { } names) return Build(directory);
        if (!lists.TryGetValue(names, out var list))
        {
            list = Build(directory);
            lists.AddOrUpdate(names, list);
        }
        return list;
    }

    private static byte[] Build(Node directory) =>
        Handlers.NodeHandlers.ChildList(directory, Handlers.NodeHandlers.ChildBytes(directory));
}
