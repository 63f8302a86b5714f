using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// One request being handled: who sent it, in which transaction, and the node helpers every
/// handler shares (canonical paths, permission checks with C's existence hiding, implicit
/// creation of ancestors). A replayed request (a transaction's replay at its commit) is
/// answered to no one: its reply is only kept in <see cref="Answer"/>, to be compared.
/// </summary>
/// <remarks>
/// Requests are handled one at a time under the daemon lock, so the dispatcher uses one
/// instance for all of them (<see cref="Begin"/>) rather than one object of garbage per
/// request; nothing keeps a request beyond its handling (what must stay, such as the message a
/// transaction records, is copied out). Until the next request it still names the last one.
/// </remarks>
internal sealed class Request(XenStoreDaemon daemon)
{
    private static readonly byte[] OkPayload = "OK\0"u8.ToArray();

    private bool replayed;
    private Message? message;

    /// <summary>
    /// Makes this the request <paramref name="frame"/> from <paramref name="connection"/>, in
    /// <paramref name="transaction"/> if not null, forgetting the one before (its answer too).
    /// </summary>
    public Request Begin(DaemonConnection connection, in RequestFrame frame, Transaction? transaction, bool replayed = false)
    {
        Connection = connection;
        Frame = frame;
        Transaction = transaction;
        Store = (INodeStore?)transaction ?? Daemon.Live;
        this.replayed = replayed;
        message = null;
        Answer = null;
        return this;
    }

    public XenStoreDaemon Daemon { get; } = daemon;

    public DaemonConnection Connection { get; private set; } = null!;

    /// <summary>The request's header and payload, good while it is handled.</summary>
    public RequestFrame Frame { get; private set; }

    /// <summary>The payload bytes, good while the request is handled (copy what must stay).</summary>
    public ReadOnlySpan<byte> Payload => Frame.Payload.Span;

    /// <summary>The request as a message that outlives it (a transaction keeps it for its replay): made once, when asked for.</summary>
    public Message Message => message ??= Frame.ToMessage();

    public Transaction? Transaction { get; private set; }

    /// <summary>The nodes as this request sees them (its transaction's view, or the live store).</summary>
    public INodeStore Store { get; private set; } = daemon.Live;

    public bool Privileged => Connection.Privileged;

    /// <summary>The reply given so far (a transaction keeps it for a replay), or null.</summary>
    public RecordedReply? Answer { get; private set; }

    /// <summary>Answers the request, once the commit path has journalled what it changed (<see cref="ChangeSet"/>).</summary>
    public void Reply(byte[] payload) => Give(Frame.Type, payload);

    public void ReplyString(string value) => Reply(Payloads.Strings(value));

    public void Ok() => Reply(OkPayload);

    public void Error(XenStoreErrorCode code) => Give(MessageType.Error, XenStoreErrors.Payloads[(int)code]);

    private void Give(MessageType type, byte[] payload)
    {
        Answer = new RecordedReply(type, payload);
        if (!replayed) Daemon.Changes.Reply(Connection, type, Frame.ReqId, Frame.TxId, payload);
    }

    /// <summary>Sends this connection one watch event after the reply's predecessors (a new watch fires once).</summary>
    public void Event(string path, string token)
    {
        if (!replayed) Daemon.Changes.Event(Connection, path, token);
    }

    /// <summary>The single argument of a one-argument request, or null when malformed.</summary>
    public string? SingleArgument() => Payloads.TryGetSingle(Payload, out var value) ? value : null;

    /// <summary>All NUL-terminated arguments (trailing bytes after the last NUL ignored).</summary>
    public List<string> Arguments() => Payloads.Split(Payload);

    /// <summary>Canonical form of a request path, or null when invalid (EINVAL).</summary>
    public string? CanonicalPath(string raw) =>
        XenStorePath.TryCanonicalize(raw, Connection.DomainId, Daemon.Quota(Connection, q => q.PathMax), out var path) ? path : null;

    /// <summary>Canonical form of a request path still in the payload's bytes, made as one string; null when invalid (EINVAL).</summary>
    public string? CanonicalPath(ReadOnlySpan<byte> raw) =>
        XenStorePath.TryCanonicalize(raw, Connection.DomainId, Daemon.Quota(Connection, q => q.PathMax), out var path) ? path : null;

    /// <summary>
    /// The single argument of a one-argument request as a canonical path; null when the payload
    /// is malformed or the path invalid (EINVAL). As <see cref="SingleArgument"/> then
    /// <see cref="CanonicalPath(string)"/>, without the argument's own string.
    /// </summary>
    public string? PathArgument() => Payloads.TryGetSingleRaw(Payload, out var raw) ? CanonicalPath(raw) : null;

    /// <summary>What this connection may do with a node.</summary>
    public PermissionAccess AccessTo(PermissionList permissions) => Access.Of(Daemon, Connection, permissions);

    /// <summary>
    /// The node at <paramref name="path"/> if it exists and the caller has <paramref name="need"/>;
    /// otherwise null and the error C gives: ENOENT only when the caller has
    /// <paramref name="need"/> on the nearest existing ancestor, else EACCES (§6.4).
    /// </summary>
    public Node? GetNode(string path, PermissionAccess need, out XenStoreErrorCode error, bool needOwner = false) =>
        GetNode(path, need, out error, out _, needOwner);

    /// <summary>
    /// <see cref="GetNode(string, PermissionAccess, out XenStoreErrorCode, bool)"/> that also
    /// gives, when the node does not exist, the nearest existing ancestor it judged by, for
    /// <see cref="CreateNode"/>: asked for again, the store would make its path again.
    /// </summary>
    public Node? GetNode(string path, PermissionAccess need, out XenStoreErrorCode error, out Ancestor ancestor, bool needOwner = false)
    {
        ancestor = default;
        var node = Store.Get(path);
        if (node is not null)
        {
            var granted = (AccessTo(node.Permissions) & need) == need && (!needOwner || Access.IsOwner(Daemon, Connection, node.Permissions));
            error = granted ? default : XenStoreErrorCode.EACCES;
            return granted ? node : null;
        }
        var (nearest, nearestPath) = Store.NearestAncestor(path);
        ancestor = new Ancestor(nearest, nearestPath);
        error = (AccessTo(nearest.Permissions) & need) == need ? XenStoreErrorCode.ENOENT : XenStoreErrorCode.EACCES;
        return null;
    }

    /// <summary>The nearest existing ancestor of a node that does not exist, and its path.</summary>
    public readonly record struct Ancestor(Node Node, string Path);

    /// <summary>
    /// Creates <paramref name="path"/> and any missing ancestors (empty values), with the
    /// permissions of the nearest existing ancestor; a guest becomes the owner of what it
    /// creates. Checks the node quotas before changing anything, so a refusal leaves no
    /// half-made path behind (XSA-414/415). <paramref name="nearest"/> is what
    /// <see cref="GetNode(string, PermissionAccess, out XenStoreErrorCode, out Ancestor, bool)"/>
    /// found for <paramref name="path"/>, with nothing changed since.
    /// </summary>
    public XenStoreErrorCode? CreateNode(string path, byte[] value, Ancestor nearest)
    {
        var (ancestor, ancestorPath) = nearest;
        var missing = 0;
        for (var i = ancestorPath.Length; i < path.Length; i++)
            if (path[i] == '/') missing++;
        if (ancestorPath == "/") missing++;
        var permissions = Privileged ? ancestor.Permissions : ancestor.Permissions.WithOwner(Connection.DomainId);
        if (!Privileged)
        {
            if (Daemon.Domains.NodeQuotaExceeded(Connection.DomainId, Store.NodesOwnedBy(Connection.DomainId) + missing))
                return XenStoreErrorCode.ENOSPC;
            if (RecordTooBig(value.Length, permissions, null)) return XenStoreErrorCode.ENOSPC;
        }
        Store.CreateBelow(ancestorPath, path, value, permissions);
        return null;
    }

    /// <summary>
    /// C's node-size quota: the stored record of a node (<paramref name="existing"/>'s children
    /// included) must stay within "node-size". Children are counted only as far as the limit,
    /// so a write to a huge directory costs no more than a write anywhere else.
    /// </summary>
    public bool RecordTooBig(int valueLength, PermissionList permissions, Node? existing)
    {
        var limit = Daemon.Quota(Connection, q => q.NodeSize);
        if (Privileged || limit <= 0) return false;
        var size = MemoryCharge.Record(permissions, valueLength);
        if (size > limit) return true;
        return existing is not null && size + Handlers.NodeHandlers.ChildBytes(existing, limit - size) > limit;
    }

    /// <summary>Notifies watches of a change to <paramref name="path"/>.</summary>
    public void Changed(string path, PermissionList? oldPermissions = null)
    {
        var node = Store.Get(path);
        Store.Notify(new ChangeEvent(path, false, node?.Permissions, oldPermissions, Store.Get(Daemon.ParentPaths.Of(path))?.Permissions));
    }
}
