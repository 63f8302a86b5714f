namespace XenStore.Daemon;

/// <summary>
/// oxenstored's replay: a transaction whose commit finds the store changed since it read it is
/// run again, request by request, on the store as it is now; if every request gets the reply
/// its client was given, the client could not tell the transaction from one that started now,
/// so the replay commits in its place. Blind writes and the creation of distinct children under
/// a shared parent (a boot storm's toolstacks) then commit instead of answering EAGAIN, while a
/// read whose answer changed still conflicts.
/// </summary>
public sealed partial class XenStoreDaemon
{
    /// <summary>Conflicting commits replayed so far, whether the replay committed or not (what validation found).</summary>
    internal long ReplaysRun { get; private set; }

    /// <summary>A new transaction of <paramref name="connection"/>, charged to its domain.</summary>
    internal Transaction NewTransaction(DaemonConnection connection, uint id) =>
        new(Live, Domains, connection, id, extra => MemoryQuotaExceeded(connection, extra));

    /// <summary>
    /// Replays <paramref name="original"/>, whose commit conflicted, on a fresh transaction over
    /// the live store, and commits the replay if every reply equals the recorded one: its
    /// changes, journal record and watch events are the commit's, the original's are dropped.
    /// False (the commit answers EAGAIN) when the original kept no log, a reply differs, or the
    /// replay cannot commit; nothing of the replay remains then. Runs under the lock, within
    /// the request that ends the transaction, as the same connection: same permission checks
    /// and quotas, nothing sent to anyone. Its cost is that of the original's logged requests.
    /// </summary>
    internal bool CommitByReplay(DaemonConnection connection, Transaction original)
    {
        if (original.Log is not { } log) return false;
        ReplaysRun++;
        var replay = NewTransaction(connection, original.Id);
        // In the original's place while it runs: the replay is charged to the domain as the
        // original was (the original was released when its end arrived).
        connection.Transactions[original.Id] = replay;
        // Its own request object, begun for each request replayed: the dispatcher's is the
        // TRANSACTION_END that runs this replay.
        var request = new Request(this);
        try
        {
            foreach (var (message, recorded) in log.Requests)
            {
                if (Tracing) Trace($"REPLAY {connection} {message}");
                request.Begin(connection, new RequestFrame(message), replay, replayed: true);
                Run(MessageTable.Find(message.Type)!, request);
                if (request.Answer is not { } answer || !answer.SameAs(recorded))
                {
                    if (Tracing) Trace($"REPLAY {connection} tx={original.Id}: another reply to {message}, EAGAIN");
                    return false;
                }
            }
            return replay.Commit() is null;
        }
        finally
        {
            connection.Transactions.Remove(original.Id);
        }
    }
}
