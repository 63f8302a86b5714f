using System.Globalization;
using XenStore.Protocol;

namespace XenStore.Client;

/// <summary>
/// The node operations, shared by a client (outside any transaction) and a transaction
/// (every request carries its id). Paths are validated locally first, so a bad one fails at
/// once with EINVAL instead of costing a round trip.
/// </summary>
public abstract class XenStoreOperations
{
    private protected XenStoreOperations(XenStoreClient? client, uint transactionId)
    {
        // A client is its own connection; a transaction names the client it runs on.
        Client = client ?? (XenStoreClient)this;
        TransactionId = transactionId;
    }

    /// <summary>The client whose connection carries the requests.</summary>
    public XenStoreClient Client { get; }

    /// <summary>0 outside a transaction.</summary>
    public uint TransactionId { get; }

    /// <summary>The value of a node (READ).</summary>
    public async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken = default) =>
        (await Request(MessageType.Read, path, cancellationToken).ConfigureAwait(false)).Payload;

    /// <summary>The value of a node as UTF-8 text (invalid bytes become U+FFFD: use <see cref="ReadAsync"/> for binary values).</summary>
    public async Task<string> ReadStringAsync(string path, CancellationToken cancellationToken = default) =>
        Wire.DecodeText(await ReadAsync(path, cancellationToken).ConfigureAwait(false));

    /// <summary>Sets a node's value, creating it and its missing parents (WRITE).</summary>
    public Task WriteAsync(string path, byte[] value, CancellationToken cancellationToken = default)
    {
        CheckPath(path);
        var pathBytes = Payloads.Strings(path);
        var payload = new byte[pathBytes.Length + value.Length];
        pathBytes.CopyTo(payload, 0);
        value.CopyTo(payload, pathBytes.Length);
        return Client.RequestAsync(MessageType.Write, TransactionId, payload, path, cancellationToken);
    }

    /// <summary>Sets a node's value from text, written as UTF-8.</summary>
    public Task WriteAsync(string path, string value, CancellationToken cancellationToken = default) =>
        WriteAsync(path, Wire.EncodeText(value), cancellationToken);

    /// <summary>Creates a node with an empty value unless it exists (MKDIR).</summary>
    public Task MkdirAsync(string path, CancellationToken cancellationToken = default) =>
        Request(MessageType.Mkdir, path, cancellationToken);

    /// <summary>Removes a node and its subtree (RM); a missing node with an existing parent is fine.</summary>
    public Task RemoveAsync(string path, CancellationToken cancellationToken = default) =>
        Request(MessageType.Rm, path, cancellationToken);

    /// <summary>
    /// The names of a node's children (DIRECTORY). A listing too big for one reply is read in
    /// parts (DIRECTORY_PART); a daemon without that answers E2BIG.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var reply = await Request(MessageType.Directory, path, cancellationToken).ConfigureAwait(false);
            return Payloads.Split(reply.Payload);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.E2BIG)
        {
            try
            {
                return await ListInPartsAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (XenStoreException p) when (p.Code == XenStoreErrorCode.ENOSYS)
            {
                throw new XenStoreException(XenStoreErrorCode.E2BIG, "E2BIG", path, $"XenStore E2BIG: {path} has too many children for one reply, and this xenstored cannot list them in parts.", p);
            }
        }
    }

    /// <summary>
    /// The children read with DIRECTORY_PART, as libxenstore does: offsets into the
    /// concatenated names, restarting if the node's generation changes between parts.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListInPartsAsync(string path, CancellationToken cancellationToken = default)
    {
        CheckPath(path);
        for (var attempt = 0; ; attempt++)
        {
            var names = new List<string>();
            string? generation = null;
            var offset = 0;
            var restarted = false;
            while (true)
            {
                var reply = await Client.RequestAsync(MessageType.DirectoryPart, TransactionId,
                    Payloads.Strings(path, offset.ToString(CultureInfo.InvariantCulture)), path, cancellationToken).ConfigureAwait(false);
                var payload = reply.Payload;
                var nul = Array.IndexOf(payload, (byte)0);
                if (nul < 0) throw new XenStoreException(XenStoreErrorCode.EIO, "EIO", path, "Malformed DIRECTORY_PART reply.");
                var gen = Wire.Decode(payload.AsSpan(0, nul));
                if (generation is null) generation = gen;
                else if (gen != generation)
                {
                    restarted = true;
                    break;
                }
                var chunk = payload.AsSpan(nul + 1);
                var atEnd = chunk.Length == 0 || (chunk.Length >= 1 && chunk[^1] == 0 && (chunk.Length == 1 || chunk[^2] == 0));
                var body = atEnd ? chunk[..Math.Max(0, chunk.Length - 1)] : chunk;
                names.AddRange(Payloads.Split(body));
                offset += body.Length;
                if (atEnd) break;
            }
            if (!restarted) return names;
            if (attempt > 100) throw new XenStoreException(XenStoreErrorCode.EAGAIN, "EAGAIN", path, $"{path} kept changing while its children were listed.");
        }
    }

    /// <summary>A node's permissions, owner first (GET_PERMS).</summary>
    public async Task<PermissionList> GetPermissionsAsync(string path, CancellationToken cancellationToken = default)
    {
        var reply = await Request(MessageType.GetPerms, path, cancellationToken, allowSpecial: true).ConfigureAwait(false);
        return PermissionList.TryParse(Payloads.Split(reply.Payload), out var list)
            ? list!
            : throw new XenStoreException(XenStoreErrorCode.EIO, "EIO", path, "Malformed GET_PERMS reply.");
    }

    /// <summary>Replaces a node's permissions (SET_PERMS); the first entry names the owner.</summary>
    public Task SetPermissionsAsync(string path, PermissionList permissions, CancellationToken cancellationToken = default)
    {
        if (!XenStorePath.IsSpecial(path)) CheckPath(path);
        var args = new[] { path }.Concat(permissions.Entries.Select(e => e.ToString())).ToArray();
        return Client.RequestAsync(MessageType.SetPerms, TransactionId, Payloads.Strings(args), path, cancellationToken);
    }

    /// <summary>Whether a node exists (a DIRECTORY that answers ENOENT means no; EACCES means it is there).</summary>
    public async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            await Request(MessageType.Directory, path, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
        {
            return false;
        }
        catch (XenStoreException e) when (e.Code is XenStoreErrorCode.EACCES or XenStoreErrorCode.E2BIG)
        {
            return true;
        }
    }

    /// <summary>A node read whole: value, permissions and children, with the three requests in flight together.</summary>
    public async Task<XenStoreNode> GetNodeAsync(string path, CancellationToken cancellationToken = default)
    {
        var value = ReadAsync(path, cancellationToken);
        var permissions = GetPermissionsAsync(path, cancellationToken);
        var children = ListAsync(path, cancellationToken);
        return new XenStoreNode(path, await value.ConfigureAwait(false), await permissions.ConfigureAwait(false), await children.ConfigureAwait(false));
    }

    /// <summary>
    /// A subtree, breadth first, with up to <paramref name="maxInFlight"/> requests pipelined
    /// on the connection instead of one round trip per node. Nodes that vanish meanwhile are
    /// left out; <paramref name="maxDepth"/> 0 reads only <paramref name="path"/>.
    /// </summary>
    public async Task<IReadOnlyList<XenStoreNode>> ListRecursiveAsync(string path, int maxDepth = int.MaxValue, int maxInFlight = 256, CancellationToken cancellationToken = default)
    {
        var result = new List<XenStoreNode>();
        using var throttle = new SemaphoreSlim(Math.Max(1, maxInFlight / 3));
        var level = new List<string> { path };
        for (var depth = 0; level.Count > 0; depth++)
        {
            var reads = level.Select(async p =>
            {
                await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return await GetNodeAsync(p, cancellationToken).ConfigureAwait(false);
                }
                catch (XenStoreException e) when (e.Code is XenStoreErrorCode.ENOENT && p != path)
                {
                    return null;
                }
                finally
                {
                    throttle.Release();
                }
            }).ToList();
            var nodes = await Task.WhenAll(reads).ConfigureAwait(false);
            var next = new List<string>();
            foreach (var node in nodes)
            {
                if (node is null) continue;
                result.Add(node);
                if (depth < maxDepth)
                    next.AddRange(node.Children.Select(c => XenStorePath.Combine(node.Path, c)));
            }
            level = next;
        }
        return result;
    }

    private protected Task<Message> Request(MessageType type, string path, CancellationToken cancellationToken, bool allowSpecial = false)
    {
        if (!(allowSpecial && XenStorePath.IsSpecial(path))) CheckPath(path);
        return Client.RequestAsync(type, TransactionId, Payloads.Strings(path), path, cancellationToken);
    }

    /// <summary>Fails fast, as libxenstore does, on paths no daemon would accept.</summary>
    private protected static void CheckPath(string path)
    {
        var absolute = path.StartsWith('/');
        var valid = path.Length > 0
            && path.Length <= (absolute ? XenStorePath.AbsoluteMax : XenStorePath.RelativeMax)
            && (path == "/" || !path.EndsWith('/'))
            && !path.Contains("//", StringComparison.Ordinal)
            && path.All(XenStorePath.IsValidChar);
        if (!valid) throw new XenStoreException(XenStoreErrorCode.EINVAL, "EINVAL", path, $"XenStore EINVAL: '{path}' is not a valid path.");
    }
}
