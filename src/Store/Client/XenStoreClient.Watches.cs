using XenStore.Protocol;

namespace XenStore.Client;

public sealed partial class XenStoreClient
{
    /// <summary>
    /// Watches a path (absolute, relative to the connection's domain home, or a special name
    /// such as "@releaseDomain"). The watch fires once at once; then for every change at or
    /// below the path. A unique token is made up when none is given.
    /// </summary>
    public async Task<XenStoreWatch> WatchAsync(string path, string? token = null, CancellationToken cancellationToken = default)
    {
        if (!XenStorePath.IsSpecial(path)) CheckPath(path);
        token ??= NewToken();
        var watch = new XenStoreWatch(this, path, token, WatchQueueCapacity);
        // Registered before the request, so the initial event, which may come before the reply, is kept.
        if (!watches.TryAdd(token, watch))
            throw new XenStoreException(XenStoreErrorCode.EEXIST, "EEXIST", path, $"XenStore EEXIST: this client already has a watch with token '{token}'.");
        try
        {
            await RequestAsync(MessageType.Watch, 0, Payloads.Strings(path, token), path, cancellationToken).ConfigureAwait(false);
            return watch;
        }
        catch
        {
            watches.TryRemove(token, out _);
            throw;
        }
    }

    /// <summary>Removes a watch (UNWATCH); its event stream ends.</summary>
    public async ValueTask UnwatchAsync(XenStoreWatch watch, CancellationToken cancellationToken = default)
    {
        if (!watches.TryRemove(watch.Token, out _)) return;
        watch.Complete();
        if (!IsConnected) return;
        try
        {
            await RequestAsync(MessageType.Unwatch, 0, Payloads.Strings(watch.Path, watch.Token), watch.Path, cancellationToken).ConfigureAwait(false);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT || e is XenStoreConnectionException)
        {
            // Already gone on the daemon's side (reset, reconnect): nothing left to undo.
        }
    }

    /// <summary>Drops every watch and transaction of this connection on the daemon (RESET_WATCHES).</summary>
    public async Task ResetWatchesAsync(CancellationToken cancellationToken = default)
    {
        await RequestAsync(MessageType.ResetWatches, 0, [0], null, cancellationToken).ConfigureAwait(false);
        foreach (var watch in watches.Values) watch.Complete();
        watches.Clear();
    }

    /// <summary>Watches registered on this client.</summary>
    public IReadOnlyCollection<XenStoreWatch> Watches => watches.Values.ToList();
}
