using XenStore.Daemon.Handlers;
using XenStore.Protocol;

namespace XenStore.Daemon;

public sealed partial class XenStoreDaemon
{
    private delegate XenStoreErrorCode? Handler(Request request);

    /// <summary>One handler per message type; null entries (15, 16, 20 and unknown types) answer ENOSYS.</summary>
    private static readonly Handler?[] Handlers = BuildHandlers();

    /// <summary>Trace every message (CONTROL log on/off).</summary>
    internal bool TraceEnabled { get; set; }

    private static Handler?[] BuildHandlers()
    {
        var table = new Handler?[(int)MessageType.SetQuota + 1];
        table[(int)MessageType.Control] = ControlHandler.Handle;
        table[(int)MessageType.Directory] = NodeHandlers.Directory;
        table[(int)MessageType.Read] = NodeHandlers.Read;
        table[(int)MessageType.GetPerms] = PermissionHandlers.GetPerms;
        table[(int)MessageType.Watch] = WatchHandlers.Watch;
        table[(int)MessageType.Unwatch] = WatchHandlers.Unwatch;
        table[(int)MessageType.TransactionStart] = TransactionHandlers.Start;
        table[(int)MessageType.TransactionEnd] = TransactionHandlers.End;
        table[(int)MessageType.Introduce] = DomainHandlers.Introduce;
        table[(int)MessageType.Release] = DomainHandlers.Release;
        table[(int)MessageType.GetDomainPath] = DomainHandlers.GetDomainPath;
        table[(int)MessageType.Write] = NodeHandlers.Write;
        table[(int)MessageType.Mkdir] = NodeHandlers.Mkdir;
        table[(int)MessageType.Rm] = NodeHandlers.Rm;
        table[(int)MessageType.SetPerms] = PermissionHandlers.SetPerms;
        table[(int)MessageType.IsDomainIntroduced] = DomainHandlers.IsIntroduced;
        table[(int)MessageType.Resume] = DomainHandlers.Resume;
        table[(int)MessageType.SetTarget] = DomainHandlers.SetTarget;
        table[(int)MessageType.ResetWatches] = WatchHandlers.ResetWatches;
        table[(int)MessageType.DirectoryPart] = NodeHandlers.DirectoryPart;
        table[(int)MessageType.GetFeature] = FeatureQuotaHandlers.GetFeature;
        table[(int)MessageType.SetFeature] = FeatureQuotaHandlers.SetFeature;
        table[(int)MessageType.GetQuota] = FeatureQuotaHandlers.GetQuota;
        table[(int)MessageType.SetQuota] = FeatureQuotaHandlers.SetQuota;
        return table;
    }

    /// <summary>Messages only privileged connections may send; checked before anything else.</summary>
    private static bool IsPrivilegedOnly(MessageType type) => type is MessageType.Control or MessageType.Introduce
        or MessageType.Release or MessageType.IsDomainIntroduced or MessageType.Resume or MessageType.SetTarget
        or MessageType.SetFeature or MessageType.GetQuota or MessageType.SetQuota;

    /// <summary>Handles one request under the lock. Nothing a client sends can throw out of here.</summary>
    private void Dispatch(DaemonConnection connection, Message message)
    {
        if (TraceEnabled || Options.Trace is not null) Trace($"IN  {connection} {message}");
        var request = new Request(this, connection, message, null);
        var handler = (uint)message.Type < Handlers.Length ? Handlers[(int)message.Type] : null;
        if (handler is null)
        {
            request.Error(XenStoreErrorCode.ENOSYS);
            return;
        }
        if (IsPrivilegedOnly(message.Type) && !connection.Privileged)
        {
            request.Error(XenStoreErrorCode.EACCES);
            return;
        }
        Transaction? transaction = null;
        if (message.TxId != 0 && message.Type is not (MessageType.Watch or MessageType.Unwatch)
            && !connection.Transactions.TryGetValue(message.TxId, out transaction))
        {
            request.Error(XenStoreErrorCode.ENOENT);
            return;
        }
        if (transaction is not null) request = new Request(this, connection, message, transaction);
        if (!connection.Privileged && MayGrowMemory(message.Type)
            && MemoryQuotaExceeded(connection, MemoryCharge.RequestGrowth(message.Payload.Length)))
        {
            request.Error(XenStoreErrorCode.ENOMEM);
            return;
        }
        try
        {
            if (handler(request) is { } error) request.Error(error);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must cost one request, never the daemon; a transaction it touched cannot commit.
            transaction?.Fail(XenStoreErrorCode.EINVAL);
            Trace($"internal error on {connection} {message}: {ex}");
            InternalErrorRaised?.Invoke(new InternalError(connection, message, ex));
            request.Error(XenStoreErrorCode.EINVAL);
        }
        if (Journal is { } journal)
        {
            journal.Flush();
            if (journal.WantsSnapshot) journal.BeginSnapshot(Live.Root, Domains.PersistentState());
        }
    }
}
