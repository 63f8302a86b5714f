using XenStore.Client;
using XenStore.Protocol;

/// <summary>Who runs a transaction, for the count of its EAGAIN retries.</summary>
internal enum Role
{
    Toolstack,
    Backend,
    Frontend,
}

/// <summary>
/// Transactions run the way libxl and the Linux xenbus driver run them: on EAGAIN, again
/// from the start at once, with no backoff. Every retry is counted per role, since the
/// conflicts between domains booting together are what a boot storm is about.
/// </summary>
internal sealed class Retries
{
    private readonly long[] counts = new long[Enum.GetValues<Role>().Length];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> byKind = new(StringComparer.Ordinal);

    public long Of(Role role) => Interlocked.Read(ref counts[(int)role]);

    public long Total => Enum.GetValues<Role>().Sum(Of);

    /// <summary>"domain=N device=N ...": the retries per kind of transaction, to tell which ones conflict.</summary>
    public string ByKind => string.Join(' ', byKind.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}={k.Value}"));

    /// <summary>Runs <paramref name="body"/> as one transaction of <paramref name="kind"/> until it commits.</summary>
    public async Task RunAsync(XenStoreClient xs, Role role, string kind, Func<XenStoreTransaction, Task> body)
    {
        while (true)
        {
            var tx = await xs.StartTransactionAsync();
            try
            {
                await body(tx);
            }
            catch
            {
                await tx.DisposeAsync();
                throw;
            }
            try
            {
                await tx.CommitAsync();
                return;
            }
            catch (XenStoreException e) when (e.Code == XenStoreErrorCode.EAGAIN)
            {
                Interlocked.Increment(ref counts[(int)role]);
                byKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }
        }
    }

    /// <summary>
    /// xenbus_switch_state: in a transaction, read the device's state node (it must still
    /// exist) and write the new state.
    /// </summary>
    public Task SwitchStateAsync(XenStoreClient xs, Role role, string devicePath, string state) =>
        RunAsync(xs, role, role == Role.Backend ? "backend-state" : "frontend-state", async tx =>
        {
            await tx.ReadAsync($"{devicePath}/state");
            await tx.WriteAsync($"{devicePath}/state", state);
        });
}
