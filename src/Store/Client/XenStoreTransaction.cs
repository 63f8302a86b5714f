using XenStore.Protocol;

namespace XenStore.Client;

/// <summary>
/// An open transaction: every operation on it carries its id. Nothing it does is visible to
/// others until <see cref="CommitAsync"/>, which fails with EAGAIN if something it touched
/// changed meanwhile; then the whole transaction must be run again.
/// </summary>
public sealed class XenStoreTransaction : XenStoreOperations, IAsyncDisposable
{
    internal XenStoreTransaction(XenStoreClient client, uint id) : base(client, id) { }

    /// <summary>True until committed, aborted or failed.</summary>
    public bool IsOpen { get; private set; } = true;

    /// <summary>Commits (TRANSACTION_END T). Throws <see cref="XenStoreException"/> with EAGAIN on conflict.</summary>
    public Task CommitAsync(CancellationToken cancellationToken = default) => EndAsync(true, cancellationToken);

    /// <summary>Abandons the transaction (TRANSACTION_END F).</summary>
    public Task AbortAsync(CancellationToken cancellationToken = default) => EndAsync(false, cancellationToken);

    private async Task EndAsync(bool commit, CancellationToken cancellationToken)
    {
        if (!IsOpen) throw new InvalidOperationException($"Transaction {TransactionId} has already ended.");
        IsOpen = false;
        await Client.RequestAsync(MessageType.TransactionEnd, TransactionId, Payloads.Strings(commit ? "T" : "F"), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Aborts the transaction if it is still open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsOpen || !Client.IsConnected) return;
        try
        {
            await AbortAsync().ConfigureAwait(false);
        }
        catch (XenStoreException)
        {
            // The daemon already forgot it (connection reset, RESET_WATCHES).
        }
    }

    /// <summary>"transaction &lt;id&gt;".</summary>
    public override string ToString() => $"transaction {TransactionId}";
}
