using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// What a transaction keeps for a replay: each request run in it with the reply it got, so
/// that a commit finding the store changed can run them again on the current store and commit
/// if every reply is the same (<see cref="XenStoreDaemon"/>'s <c>CommitByReplay</c>).
/// </summary>
internal sealed partial class Transaction
{
    /// <summary>
    /// The requests to replay, oldest first; null once the transaction cannot be replayed (past
    /// the log's bounds, past its domain's memory quota, or after a request a replay cannot
    /// run again): a conflicting commit then answers EAGAIN.
    /// </summary>
    public TransactionLog? Log { get; private set; } = new();

    /// <summary>
    /// Keeps <paramref name="request"/> and its <paramref name="reply"/> for a replay, charged to
    /// the connection's domain like the nodes the transaction touched. A request past the log's
    /// bounds, or one that would take an unprivileged domain past its hard memory quota, is not
    /// refused (it has been answered already): the log is dropped instead and its bytes released.
    /// </summary>
    public void Remember(Message request, RecordedReply reply)
    {
        if (Log is not { } log) return;
        var recorded = new RecordedRequest(request, reply);
        var charge = MemoryCharge.RecordedRequest(recorded.PayloadBytes);
        if (!log.Fits(recorded.PayloadBytes) || (!connection.Privileged && memoryQuotaExceeded(charge)))
        {
            CannotReplay();
            return;
        }
        log.Add(recorded);
        ChargedBytes += charge;
    }

    /// <summary>Drops the log and releases its bytes: a conflicting commit will answer EAGAIN.</summary>
    public void CannotReplay()
    {
        if (Log is not { } log) return;
        ChargedBytes -= log.Requests.Count * (long)MemoryCharge.RecordedRequest(0) + log.Bytes;
        Log = null;
    }
}
