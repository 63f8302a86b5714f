using System.Globalization;
using XenStore.Protocol;

namespace XenStore.Daemon.Handlers;

/// <summary>TRANSACTION_START and TRANSACTION_END.</summary>
internal static class TransactionHandlers
{
    public static XenStoreErrorCode? Start(Request r)
    {
        if (r.Transaction is not null) return XenStoreErrorCode.EBUSY;
        var limit = r.Daemon.Quota(r.Connection, q => q.Transactions);
        // Exactly the quota: C and O let one more through (xenstored-security.md, "do not copy").
        if (!r.Privileged && limit > 0 && r.Connection.Transactions.Count >= limit) return XenStoreErrorCode.ENOSPC;
        var id = r.Connection.AllocateTransactionId();
        r.Connection.Transactions[id] = r.Daemon.NewTransaction(r.Connection, id);
        r.ReplyString(id.ToString(CultureInfo.InvariantCulture));
        return null;
    }

    public static XenStoreErrorCode? End(Request r)
    {
        if (r.Transaction is not { } transaction) return XenStoreErrorCode.ENOENT;
        var commit = r.SingleArgument() switch
        {
            "T" => true,
            "F" => false,
            _ => (bool?)null,
        };
        // A malformed end leaves the transaction open; every other answer ends it.
        if (commit is null) return XenStoreErrorCode.EINVAL;
        r.Connection.Transactions.Remove(transaction.Id);
        // A conflict is not the end: a replay on the current store may commit in its place.
        if (commit == true && transaction.Commit() is { } refused
            && (refused != XenStoreErrorCode.EAGAIN || !r.Daemon.CommitByReplay(r.Connection, transaction)))
            return refused;
        r.Ok();
        return null;
    }
}
