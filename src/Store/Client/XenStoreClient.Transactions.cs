using System.Globalization;
using XenStore.Protocol;

namespace XenStore.Client;

public sealed partial class XenStoreClient
{
    /// <summary>Starts a transaction (TRANSACTION_START).</summary>
    public async Task<XenStoreTransaction> StartTransactionAsync(CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync(MessageType.TransactionStart, 0, [0], null, cancellationToken).ConfigureAwait(false);
        var text = Wire.Decode(reply.Payload).TrimEnd('\0');
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != 0
            ? new XenStoreTransaction(this, id)
            : throw new XenStoreException(XenStoreErrorCode.EIO, "EIO", null, $"Malformed TRANSACTION_START reply '{text}'.");
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a transaction and commits it; on EAGAIN runs it again in
    /// a new transaction after a short randomised backoff, up to <paramref name="maxAttempts"/>
    /// times. Any other failure aborts the transaction and propagates.
    /// </summary>
    public async Task<T> RunTransactionAsync<T>(Func<XenStoreTransaction, Task<T>> body, int maxAttempts = 16, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        for (var attempt = 1; ; attempt++)
        {
            var transaction = await StartTransactionAsync(cancellationToken).ConfigureAwait(false);
            T result;
            try
            {
                result = await body(transaction).ConfigureAwait(false);
            }
            catch
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            try
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (XenStoreException e) when (e.Code == XenStoreErrorCode.EAGAIN)
            {
                if (attempt >= maxAttempts)
                    throw new XenStoreException(XenStoreErrorCode.EAGAIN, "EAGAIN", null,
                        $"XenStore EAGAIN: the transaction conflicted with other changes {attempt} times in a row; giving up.", e);
                // Full jitter, growing with each attempt: colliding writers spread out.
                var ceiling = Math.Min(100, 1 << Math.Min(attempt, 7));
                await Task.Delay(Random.Shared.Next(0, ceiling), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs a transaction that returns nothing; see <see cref="RunTransactionAsync{T}"/>.</summary>
    public Task RunTransactionAsync(Func<XenStoreTransaction, Task> body, int maxAttempts = 16, CancellationToken cancellationToken = default) =>
        RunTransactionAsync(async t =>
        {
            await body(t).ConfigureAwait(false);
            return true;
        }, maxAttempts, cancellationToken);
}
