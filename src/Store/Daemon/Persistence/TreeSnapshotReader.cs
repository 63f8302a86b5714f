using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// Builds the store from the records of a tree-format snapshot (see <see cref="TreeSnapshotWriter"/>)
/// in one pass: a node's entry opens a frame on a stack, its children fill the frame's array
/// in order, and once full the node is made with that array as its child map and handed to
/// its parent. Each node is made once, its permission list is the table's shared object, its
/// name is shared with the nodes of the same name (<see cref="InternPool"/>, looked up by its
/// bytes), its value is its own array copied straight from the record, and the owners'
/// holdings are summed on the way.
/// A record whose CRC matched but which does not describe a valid tree (a bad name, a
/// repeated sibling, an index out of range, a tree ending early or late) throws
/// <see cref="InvalidDataException"/>: it was not written by this daemon.
/// </summary>
internal sealed class TreeSnapshotReader
{
    private readonly PermissionList[] permissions;

    /// <summary>Bytes in the records after each one, to bound a child count by what is left.</summary>
    private readonly long[] bytesAfter;
    private readonly Dictionary<uint, (int Nodes, long Bytes)> holdings = [];
    private Frame[] stack = new Frame[64];
    private int depth;
    private ulong generations;
    private Node? root;

    private TreeSnapshotReader(List<byte[]> records, PermissionList[] permissions)
    {
        this.permissions = permissions;
        bytesAfter = new long[records.Count];
        for (var i = records.Count - 2; i >= 0; i--) bytesAfter[i] = bytesAfter[i + 1] + records[i + 1].Length;
    }

    /// <summary>
    /// The tree whose permission table is <paramref name="records"/>[<paramref name="first"/>]
    /// and whose nodes follow; <paramref name="next"/> is the first record after them.
    /// </summary>
    public static LoadedTree Load(List<byte[]> records, int first, out int next)
    {
        if (first >= records.Count) throw new InvalidDataException("no permission table");
        var reader = new TreeSnapshotReader(records, ReadPermissions(records[first]));
        next = first + 1;
        while (reader.root is null)
        {
            if (next >= records.Count) throw new InvalidDataException("the tree ends before its last node");
            reader.ReadNodes(records[next], next);
            next++;
        }
        return new LoadedTree(reader.root, reader.holdings, reader.generations);
    }

    private static PermissionList[] ReadPermissions(byte[] record)
    {
        var cursor = new ByteCursor(record);
        var count = cursor.ReadCount();
        if (count > record.Length) throw new InvalidDataException($"a permission table of {count} lists in {record.Length} bytes");
        var lists = new PermissionList[count];
        for (var i = 0; i < count; i++)
        {
            var text = Encoding.UTF8.GetString(cursor.TakeCounted());
            lists[i] = PermissionList.ParsePersisted(text);
        }
        if (!cursor.AtEnd) throw new InvalidDataException("bytes after the permission table");
        return lists;
    }

    /// <summary>The nodes of one record; the tree may go on in the next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadNodes(byte[] record, int index)
    {
        var cursor = new ByteCursor(record);
        while (!cursor.AtEnd)
        {
            if (root is not null) throw new InvalidDataException($"record {index} goes on after the tree's last node");
            var name = InternPool.Name(cursor.TakeCounted());
            var valueBytes = cursor.TakeCounted();
            var value = InternPool.Value(valueBytes);
            var permissionIndex = cursor.ReadCount();
            if (permissionIndex >= permissions.Length) throw new InvalidDataException($"permission list {permissionIndex} of {permissions.Length}");
            var childCount = cursor.ReadCount();
            // Each child takes at least four bytes: a count larger than what is left is corrupt.
            if (childCount > (bytesAfter[index] + cursor.Remaining) / 4) throw new InvalidDataException($"{childCount} children cannot fit in what is left");
            CheckName(name);
            var pathLength = depth == 0 ? 1 : stack[depth - 1].PathLength + (depth == 1 ? 0 : 1) + name.Length;
            var frame = new Frame(name, value, permissions[permissionIndex], ++generations, pathLength, childCount);
            if (childCount == 0) Attach(frame.Build(), pathLength);
            else Push(frame);
        }
    }

    private void CheckName(string name)
    {
        if (depth == 0)
        {
            if (name.Length != 0) throw new InvalidDataException($"the root is called '{name}'");
            return;
        }
        if (name.Length == 0) throw new InvalidDataException("a node without a name");
        foreach (var c in name)
            if (c == '/' || !XenStorePath.IsValidChar(c)) throw new InvalidDataException($"a node called '{name}'");
    }

    private void Push(Frame frame)
    {
        if (depth == stack.Length) Array.Resize(ref stack, depth * 2);
        stack[depth++] = frame;
    }

    /// <summary>Counts a finished node and gives it to its parent, finishing every parent it fills in turn.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Attach(Node node, int pathLength)
    {
        while (true)
        {
            Count(node, pathLength);
            if (depth == 0)
            {
                root = node;
                return;
            }
            ref var parent = ref stack[depth - 1];
            parent.Children[parent.Filled++] = node;
            if (parent.Filled < parent.Children.Length) return;
            node = parent.Build();
            pathLength = parent.PathLength;
            parent = default;
            depth--;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Count(Node node, int pathLength)
    {
        ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(holdings, node.Permissions.Owner, out _);
        held = (held.Nodes + 1, held.Bytes + MemoryCharge.Node(pathLength, node));
    }

    /// <summary>A node whose children are still being read.</summary>
    private struct Frame(string name, byte[] value, PermissionList permissions, ulong generation, int pathLength, int children)
    {
        public readonly int PathLength = pathLength;
        public readonly Node[] Children = children == 0 ? [] : new Node[children];
        public int Filled;

        public readonly Node Build()
        {
            try
            {
                return Node.Create(name, value, permissions, generation, ChildMap.FromOrdered(Children));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"node '{name}': {e.Message}", e);
            }
        }
    }
}
