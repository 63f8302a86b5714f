using XenStore.Protocol;

namespace XenStore.Daemon.Handlers;

/// <summary>WATCH, UNWATCH and RESET_WATCHES.</summary>
internal static class WatchHandlers
{
    public static XenStoreErrorCode? Watch(Request r)
    {
        var args = r.Arguments();
        if (args.Count != 2) return XenStoreErrorCode.EINVAL;
        var (raw, token) = (args[0], args[1]);
        string path;
        var relative = false;
        if (XenStorePath.IsSpecial(raw))
        {
            if (raw.Length > XenStorePath.SpecialMax) return XenStoreErrorCode.EINVAL;
            path = raw;
        }
        else
        {
            if (r.CanonicalPath(raw) is not { } canonical) return XenStoreErrorCode.EINVAL;
            path = canonical;
            relative = raw[0] != '/';
        }
        var watches = r.Daemon.Watches;
        if (watches.Find(r.Connection, path, token) is not null) return XenStoreErrorCode.EEXIST;
        var limit = r.Daemon.Quota(r.Connection, q => q.Watches);
        // Exactly the quota, where C and O let one more through ("do not copy"); 4.17's error, E2BIG.
        if (!r.Privileged && limit > 0 && r.Connection.WatchCount >= limit) return XenStoreErrorCode.E2BIG;
        var watch = watches.Add(r.Connection, path, token, relative);
        r.Daemon.Changes.OnUndo(() => watches.Remove(watch));
        r.Daemon.Domains.RecordWatchChange(r.Connection, () => Daemon.Persistence.JournalOp.Watch(r.Connection.DomainId, path, token, relative));
        r.Ok();
        // Every watch fires once at once, with the path as registered.
        r.Event(WatchRegistry.EventPath(watch, path), token);
        return null;
    }

    public static XenStoreErrorCode? Unwatch(Request r)
    {
        var args = r.Arguments();
        if (args.Count != 2) return XenStoreErrorCode.EINVAL;
        var raw = args[0];
        var path = XenStorePath.IsSpecial(raw) ? raw
            : raw.Length > 0 && raw[0] == '/' ? raw
            : XenStorePath.DomainHome(r.Connection.DomainId) + "/" + raw;
        var watch = r.Daemon.Watches.Find(r.Connection, path, args[1]);
        if (watch is null) return XenStoreErrorCode.ENOENT;
        r.Daemon.Watches.Remove(watch);
        // The owner is the watch's own: the request object is reused for the next request.
        r.Daemon.Changes.OnUndo(() => r.Daemon.Watches.Add(watch.Owner, watch.Path, watch.Token, watch.Relative));
        r.Daemon.Domains.RecordWatchChange(r.Connection, () => Daemon.Persistence.JournalOp.Unwatch(r.Connection.DomainId, path, args[1]));
        r.Ok();
        return null;
    }

    /// <summary>Drops the connection's watches and transactions, safely from any state (XSA-484).</summary>
    public static XenStoreErrorCode? ResetWatches(Request r)
    {
        r.Daemon.DropWatchesAndTransactions(r.Connection);
        r.Ok();
        return null;
    }
}
