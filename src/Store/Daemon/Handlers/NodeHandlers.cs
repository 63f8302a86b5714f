using System.Buffers;
using System.Globalization;
using XenStore.Protocol;

namespace XenStore.Daemon.Handlers;

/// <summary>READ, WRITE, MKDIR, RM, DIRECTORY and DIRECTORY_PART.</summary>
internal static class NodeHandlers
{
    public static XenStoreErrorCode? Read(Request r)
    {
        if (r.PathArgument() is not { } path) return XenStoreErrorCode.EINVAL;
        var node = r.GetNode(path, PermissionAccess.Read, out var error);
        if (node is null) return error;
        r.Reply(node.Value);
        return null;
    }

    public static XenStoreErrorCode? Write(Request r)
    {
        if (!Payloads.TrySplitWriteRaw(r.Payload, out var raw, out var bytes) || r.CanonicalPath(raw) is not { } path)
            return XenStoreErrorCode.EINVAL;
        // Copied once, as the node will keep it (shared, or on the pinned heap).
        var value = Tree.InternPool.Value(bytes);
        var node = r.GetNode(path, PermissionAccess.Write, out var error, out var ancestor);
        if (node is null)
        {
            if (error != XenStoreErrorCode.ENOENT) return error;
            if (r.CreateNode(path, value, ancestor) is { } refused) return refused;
        }
        else
        {
            if (r.RecordTooBig(value.Length, node.Permissions, node)) return XenStoreErrorCode.ENOSPC;
            r.Store.Update(path, value, node.Permissions);
        }
        r.Changed(path);
        r.Ok();
        return null;
    }

    public static XenStoreErrorCode? Mkdir(Request r)
    {
        if (r.PathArgument() is not { } path) return XenStoreErrorCode.EINVAL;
        var node = r.GetNode(path, PermissionAccess.Write, out var error, out var ancestor);
        if (node is null)
        {
            // An existing node is left alone, without an event; only a new one is created.
            if (error != XenStoreErrorCode.ENOENT) return error;
            if (r.CreateNode(path, [], ancestor) is { } refused) return refused;
            r.Changed(path);
        }
        r.Ok();
        return null;
    }

    public static XenStoreErrorCode? Rm(Request r)
    {
        if (r.PathArgument() is not { } path) return XenStoreErrorCode.EINVAL;
        var node = r.GetNode(path, PermissionAccess.Write, out var error);
        if (node is null)
        {
            // Already gone is fine, as long as the parent is there.
            if (error == XenStoreErrorCode.ENOENT && r.Store.Get(r.Daemon.ParentPaths.Of(path)) is not null)
            {
                r.Ok();
                return null;
            }
            return error;
        }
        if (path == "/") return XenStoreErrorCode.EINVAL;
        r.Store.Delete(path);
        r.Ok();
        return null;
    }

    public static XenStoreErrorCode? Directory(Request r)
    {
        if (r.PathArgument() is not { } path) return XenStoreErrorCode.EINVAL;
        var node = r.GetNode(path, PermissionAccess.Read, out var error);
        if (node is null) return error;
        if (ChildListWithin(node, Wire.PayloadMax) is not { } list) return XenStoreErrorCode.E2BIG;
        r.Reply(list);
        return null;
    }

    /// <summary>
    /// A chunk of the child list from a byte offset: "&lt;generation&gt;\0" then whole names that
    /// fit, plus one extra NUL when the chunk reaches the end (cxenstored's exact format).
    /// </summary>
    public static XenStoreErrorCode? DirectoryPart(Request r)
    {
        var args = r.Arguments();
        if (args.Count != 2 || r.CanonicalPath(args[0]) is not { } path) return XenStoreErrorCode.EINVAL;
        var offset = CParse.Atoi(args[1]);
        var node = r.GetNode(path, PermissionAccess.Read, out var error);
        if (node is null) return error;
        var generation = Wire.Encode(node.Generation.ToString(CultureInfo.InvariantCulture) + "\0");
        var children = r.Daemon.ChildListCache.Get(node);
        if (offset < 0 || offset >= children.Length)
        {
            r.Reply([.. generation, 0]);
            return null;
        }
        var max = Wire.PayloadMax - generation.Length - 1;
        var length = 0;
        while (offset + length < children.Length)
        {
            var nameLength = Array.IndexOf(children, (byte)0, offset + length) - (offset + length) + 1;
            if (length + nameLength > max) break;
            length += nameLength;
        }
        var atEnd = offset + length == children.Length;
        var reply = new byte[generation.Length + length + (atEnd ? 1 : 0)];
        generation.CopyTo(reply, 0);
        children.AsSpan(offset, length).CopyTo(reply.AsSpan(generation.Length));
        r.Reply(reply);
        return null;
    }

    /// <summary>
    /// Bytes of the child list: each name plus its NUL. Counting stops once past
    /// <paramref name="stopAbove"/>, and a directory whose names cannot fit (each takes at
    /// least two bytes) is not counted at all.
    /// </summary>
    internal static int ChildBytes(Tree.Node node, int stopAbove = int.MaxValue)
    {
        if (stopAbove < int.MaxValue / 2 && node.Children.Count * 2 > stopAbove) return stopAbove + 1;
        var size = 0;
        foreach (var name in node.Children.NamesUnordered())
        {
            size += name.Length + 1;
            if (size > stopAbove) break;
        }
        return size;
    }

    /// <summary>
    /// The child list, as <see cref="ChildList"/> gives it, or null when it would be longer than
    /// <paramref name="max"/>: names are copied as they are counted, in one walk of the children
    /// rather than one to size the list and one to fill it (a walk costs an enumerator).
    /// </summary>
    internal static byte[]? ChildListWithin(Tree.Node node, int max)
    {
        if (node.Children.Count == 0) return [];
        // Each name takes at least two bytes: a directory that cannot fit is not walked at all.
        if (node.Children.Count * 2 > max) return null;
        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var length = CopyNames(node, buffer.AsSpan(0, max));
            return length < 0 ? null : buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The child list of <paramref name="node"/>, whose length <see cref="ChildBytes"/> gave as <paramref name="size"/>.</summary>
    internal static byte[] ChildList(Tree.Node node, int size)
    {
        var bytes = new byte[size];
        CopyNames(node, bytes);
        return bytes;
    }

    /// <summary>The children's names in creation order, each ended by a NUL, into <paramref name="destination"/>: the bytes written, or -1 when they do not fit.</summary>
    private static int CopyNames(Tree.Node node, Span<byte> destination)
    {
        var at = 0;
        foreach (var name in node.Children.NamesInOrder())
        {
            if (at + name.Length + 1 > destination.Length) return -1;
            at += Wire.Encoding.GetBytes(name, destination[at..]);
            destination[at++] = 0;
        }
        return at;
    }
}
