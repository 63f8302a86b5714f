using XenStore.Daemon.Handlers;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// Everything the dispatcher knows about each message type, one row per type, as
/// cxenstored's <c>wire_funcs</c>: its handler and the checks made before the handler runs.
/// Types without a row (WATCH_EVENT, ERROR, RESTRICT and unknown numbers) answer ENOSYS.
/// </summary>
internal static class MessageTable
{
    /// <summary>A handler answers through its request, or returns the error to answer.</summary>
    public delegate XenStoreErrorCode? Handler(Request request);

    /// <param name="Handler">Does the work under the daemon lock.</param>
    /// <param name="PrivilegedOnly">Refused with EACCES, before anything else, from unprivileged connections.</param>
    /// <param name="IgnoresTransaction">Runs outside any transaction whatever its transaction id (watches are not transactional).</param>
    /// <param name="MayGrowMemory">Can make a domain hold more: refused with ENOMEM at its hard memory quota.</param>
    /// <param name="Replayed">
    /// Works on the transaction's view of the nodes and nothing else: kept with its reply and run
    /// again when the transaction's commit replays it. Requests of other types do not look at
    /// the view (their replies cannot change with it), so a replay leaves them out.
    /// </param>
    public sealed record Row(Handler Handler, bool PrivilegedOnly = false, bool IgnoresTransaction = false, bool MayGrowMemory = false, bool Replayed = false);

    private static readonly Row?[] Rows = Build();

    /// <summary>The row of a message type, or null for a type no daemon serves.</summary>
    public static Row? Find(MessageType type) => (uint)type < Rows.Length ? Rows[(int)type] : null;

    /// <summary>
    /// Whether a replay runs <paramref name="request"/> again (see <see cref="Row.Replayed"/>).
    /// SET_PERMS of a special watch name changes the daemon's own table, outside the transaction,
    /// at once: running it again could undo a change made since, so a transaction that did it
    /// cannot be replayed.
    /// </summary>
    public static bool ReplayCannotRepeat(in RequestFrame request) =>
        request.Type == MessageType.SetPerms && request.Payload.Span is [(byte)'@', ..];

    private static Row?[] Build()
    {
        var rows = new Row?[(int)MessageType.SetQuota + 1];
        rows[(int)MessageType.Control] = new(ControlHandler.Handle, PrivilegedOnly: true);
        rows[(int)MessageType.Directory] = new(NodeHandlers.Directory, Replayed: true);
        rows[(int)MessageType.Read] = new(NodeHandlers.Read, Replayed: true);
        rows[(int)MessageType.GetPerms] = new(PermissionHandlers.GetPerms, Replayed: true);
        rows[(int)MessageType.Watch] = new(WatchHandlers.Watch, IgnoresTransaction: true, MayGrowMemory: true);
        rows[(int)MessageType.Unwatch] = new(WatchHandlers.Unwatch, IgnoresTransaction: true);
        rows[(int)MessageType.TransactionStart] = new(TransactionHandlers.Start, MayGrowMemory: true);
        rows[(int)MessageType.TransactionEnd] = new(TransactionHandlers.End);
        rows[(int)MessageType.Introduce] = new(DomainHandlers.Introduce, PrivilegedOnly: true);
        rows[(int)MessageType.Release] = new(DomainHandlers.Release, PrivilegedOnly: true);
        rows[(int)MessageType.GetDomainPath] = new(DomainHandlers.GetDomainPath);
        rows[(int)MessageType.Write] = new(NodeHandlers.Write, MayGrowMemory: true, Replayed: true);
        rows[(int)MessageType.Mkdir] = new(NodeHandlers.Mkdir, MayGrowMemory: true, Replayed: true);
        rows[(int)MessageType.Rm] = new(NodeHandlers.Rm, Replayed: true);
        rows[(int)MessageType.SetPerms] = new(PermissionHandlers.SetPerms, MayGrowMemory: true, Replayed: true);
        rows[(int)MessageType.IsDomainIntroduced] = new(DomainHandlers.IsIntroduced, PrivilegedOnly: true);
        rows[(int)MessageType.Resume] = new(DomainHandlers.Resume, PrivilegedOnly: true);
        rows[(int)MessageType.SetTarget] = new(DomainHandlers.SetTarget, PrivilegedOnly: true);
        rows[(int)MessageType.ResetWatches] = new(WatchHandlers.ResetWatches);
        rows[(int)MessageType.DirectoryPart] = new(NodeHandlers.DirectoryPart, Replayed: true);
        rows[(int)MessageType.GetFeature] = new(FeatureQuotaHandlers.GetFeature);
        rows[(int)MessageType.SetFeature] = new(FeatureQuotaHandlers.SetFeature, PrivilegedOnly: true);
        rows[(int)MessageType.GetQuota] = new(FeatureQuotaHandlers.GetQuota, PrivilegedOnly: true);
        rows[(int)MessageType.SetQuota] = new(FeatureQuotaHandlers.SetQuota, PrivilegedOnly: true);
        return rows;
    }
}
