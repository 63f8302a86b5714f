using System.Runtime.InteropServices;
using System.Text;
using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// Writes a snapshot in the tree format (version 2), made to be loaded fast:
/// <list type="number">
/// <item>the header record (<see cref="PersistenceFormat.SnapshotHeader"/>);</item>
/// <item>the permission lists the nodes use, each once (nodes share these immutable objects,
/// and a store has few distinct ones): a count, then each in its text form;</item>
/// <item>the nodes, depth first, parents before children, children in creation order, each
/// as its name, its value, the index of its permission list and its number of children, so
/// the loader builds every node once, bottom-up, without looking any path up. They fill
/// records of about <see cref="ChunkBytes"/> cut between nodes;</item>
/// <item>the domains, special permissions and saved watches, as one journal record;</item>
/// <item>"end", without which the snapshot is incomplete.</item>
/// </list>
/// Numbers are 7-bit encoded (as <see cref="BinaryWriter.Write7BitEncodedInt"/>), strings are UTF-8
/// after their byte length. Every record is framed with its CRC (<see cref="RecordFile"/>).
/// </summary>
internal static class TreeSnapshotWriter
{
    /// <summary>Nodes per record, in bytes: large sequential writes and reads, and a bounded buffer.</summary>
    public const int ChunkBytes = 1 << 20;

    public static void Write(JournalFile file, Node root, IReadOnlyList<JournalOp> state, long firstLiveSegment)
    {
        file.Append(RecordFile.Frame(PersistenceFormat.SnapshotHeader(firstLiveSegment)));
        var permissions = PermissionTable(root, out var indexOf);
        file.Append(RecordFile.Frame(permissions));

        var chunk = new MemoryStream(ChunkBytes + 8192);
        using (var w = new BinaryWriter(chunk, Encoding.UTF8, leaveOpen: true))
        {
            var stack = new Stack<Node>();
            var children = new List<Node>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                var node = stack.Pop();
                w.Write(node.Name);
                w.Write7BitEncodedInt(node.Value.Length);
                w.Write(node.Value);
                w.Write7BitEncodedInt(indexOf[node.Permissions]);
                w.Write7BitEncodedInt(node.Children.Count);
                children.Clear();
                children.AddRange(node.Children.InOrder());
                for (var i = children.Count - 1; i >= 0; i--) stack.Push(children[i]);
                if (chunk.Length < ChunkBytes) continue;
                w.Flush();
                file.Append(RecordFile.Frame(chunk.GetBuffer().AsSpan(0, (int)chunk.Length)));
                chunk.SetLength(0);
            }
            w.Flush();
            if (chunk.Length > 0) file.Append(RecordFile.Frame(chunk.GetBuffer().AsSpan(0, (int)chunk.Length)));
        }

        chunk.SetLength(0);
        file.Append(Journal.Encode(state, chunk));
        file.Append(RecordFile.Frame(PersistenceFormat.SnapshotEnd));
    }

    /// <summary>
    /// The record of distinct permission lists, and each list's index. Most nodes share their
    /// list object with others, so a lookup by reference answers first; lists equal in
    /// content but distinct objects still get one entry.
    /// </summary>
    private static byte[] PermissionTable(Node root, out Dictionary<PermissionList, int> indexOf)
    {
        var byContent = new Dictionary<PermissionList, int>();
        indexOf = new Dictionary<PermissionList, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(indexOf, node.Permissions, out var seen);
            if (!seen && !byContent.TryGetValue(node.Permissions, out index))
                byContent.Add(node.Permissions, index = byContent.Count);
            foreach (var child in node.Children.Unordered()) stack.Push(child);
        }
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write7BitEncodedInt(byContent.Count);
            foreach (var list in byContent.OrderBy(p => p.Value).Select(p => p.Key)) w.Write(list.ToPersistedString());
        }
        return buffer.ToArray();
    }
}
