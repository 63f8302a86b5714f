using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// Commit: validation, then the changes applied to the live store. A node the transaction
/// created goes to the live store with every node it created below it, built bottom-up and
/// attached in one pass: one creation per node, each walking and copying the chain from the
/// root, made committing a 990-level path quadratic in its depth.
/// </summary>
internal sealed partial class Transaction
{
    /// <summary>
    /// Validates and applies the transaction. Returns null on success, or the error the
    /// commit answers (EAGAIN on conflict, ENOSPC when the net effect exceeds a node quota).
    /// </summary>
    public XenStoreErrorCode? Commit()
    {
        if (Failure is { } failed) return failed == XenStoreErrorCode.ENOSPC ? XenStoreErrorCode.ENOMEM : failed;
        if (!Valid()) return XenStoreErrorCode.EAGAIN;
        if (!connection.Privileged)
            foreach (var (owner, delta) in ownedDelta)
                if (delta > 0 && domains.NodeQuotaExceeded(owner, live.NodesOwnedBy(owner) + delta))
                    return XenStoreErrorCode.ENOSPC;

        // Parents before children; among equals, in the order the transaction touched them.
        var dirty = accessOrder.Where(e => e.Dirty).OrderBy(e => e.Depth).ToList();
        Dictionary<Entry, List<Entry>>? made = null;
        var attached = new HashSet<Entry>();
        foreach (var entry in dirty)
        {
            if (attached.Contains(entry)) continue;
            if (entry.Node is null || entry.Recreated) live.DeleteSilently(entry.Path);
            if (entry.Node is null) continue;
            if (live.Get(entry.Path) is not null)
            {
                live.Update(entry.Path, entry.Node.Value, entry.Node.Permissions);
                continue;
            }
            made ??= MadeByParent(dirty);
            var (top, nodes) = Subtree(entry, made, attached);
            live.Attach(entry.Path, top, nodes);
        }
        foreach (var entry in accessOrder)
            if (entry.FireWatch) live.Notify(entry.Change);
        return null;
    }

    /// <summary>
    /// True when every node the transaction validates is as it first saw it. Parents come
    /// first, and a node whose parent was validated is found from it, not from the root: a
    /// transaction that read each of 990 levels would otherwise walk 990 levels 990 times. A
    /// node the transaction made has its parent's entry at hand; looking each one up by its
    /// parent's path made a copy of every ancestor's path, 2 MB for a 990-level chain.
    /// </summary>
    private bool Valid()
    {
        foreach (var entry in accessOrder.Where(e => e.Validate).OrderBy(e => e.Depth))
        {
            var parent = entry.Path == "/" ? null : entry.MadeUnder ?? entries.GetValueOrDefault(XenStorePath.Parent(entry.Path));
            var node = parent is { Validate: true }
                ? parent.LiveAtCommit?.Children.Get(entry.Path.AsSpan(entry.Path.LastIndexOf('/') + 1))
                : live.Get(entry.Path);
            if ((node?.Generation ?? Absent) != entry.Recorded) return false;
            entry.LiveAtCommit = node;
        }
        return true;
    }

    /// <summary>
    /// The nodes this transaction created and leaves in place, by their parent's entry, in
    /// commit order (linked by reference: hashing a thousand long paths costs more than the
    /// rest of the commit).
    /// </summary>
    private static Dictionary<Entry, List<Entry>> MadeByParent(List<Entry> dirty)
    {
        var made = new Dictionary<Entry, List<Entry>>();
        foreach (var entry in dirty)
        {
            if (entry.Node is null || entry.MadeUnder is not { } parent) continue;
            if (!made.TryGetValue(parent, out var children)) made[parent] = children = [];
            children.Add(entry);
        }
        return made;
    }

    /// <summary>
    /// The node of <paramref name="top"/>, missing from the live store, with the nodes this
    /// transaction made below it (nothing live can be below a missing node), built bottom-up
    /// without recursion; and each of them with its path, parents first, for the journal and
    /// the accounting.
    /// </summary>
    private (Node Top, List<(string Path, Node Node)> Nodes) Subtree(Entry top, Dictionary<Entry, List<Entry>> made, HashSet<Entry> attached)
    {
        var order = new List<Entry>();
        var stack = new Stack<Entry>();
        stack.Push(top);
        while (stack.Count > 0)
        {
            var entry = stack.Pop();
            order.Add(entry);
            attached.Add(entry);
            if (made.TryGetValue(entry, out var children))
                for (var i = children.Count - 1; i >= 0; i--) stack.Push(children[i]);
        }
        var built = new Dictionary<Entry, Node>(order.Count);
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var entry = order[i];
            var map = ChildMap.Empty;
            if (made.TryGetValue(entry, out var children))
                foreach (var child in children) map = map.Set(built[child]);
            built[entry] = Node.Create(XenStorePath.Name(entry.Path), entry.Node!.Value, entry.Node.Permissions, live.NextGeneration(), map);
        }
        return (built[top], order.Select(e => (e.Path, built[e])).ToList());
    }
}
