using XenStore.Protocol;

namespace XenStore.Daemon.Handlers;

/// <summary>GET_PERMS and SET_PERMS, including the special watch names' permissions.</summary>
internal static class PermissionHandlers
{
    public static XenStoreErrorCode? GetPerms(Request r)
    {
        if (r.SingleArgument() is not { } raw) return XenStoreErrorCode.EINVAL;
        if (XenStorePath.IsSpecial(raw))
        {
            // cxenstored 4.18+ answers for the special watches; 4.17 said EINVAL.
            if (!r.Daemon.Domains.IsSpecial(raw)) return XenStoreErrorCode.EINVAL;
            var special = r.Daemon.Domains.SpecialPermissions(raw);
            if (!r.AccessTo(special).HasFlag(PermissionAccess.Read)) return XenStoreErrorCode.EACCES;
            r.Reply(special.ToWire());
            return null;
        }
        if (r.CanonicalPath(raw) is not { } path) return XenStoreErrorCode.EINVAL;
        var node = r.GetNode(path, PermissionAccess.Read, out var error);
        if (node is null) return error;
        r.Reply(node.Permissions.ToWire());
        return null;
    }

    public static XenStoreErrorCode? SetPerms(Request r)
    {
        var args = r.Arguments();
        if (args.Count < 2) return XenStoreErrorCode.EINVAL;
        var limit = r.Daemon.Quota(r.Connection, q => q.Permissions);
        if (!r.Privileged && limit > 0 && args.Count - 1 > limit) return XenStoreErrorCode.ENOSPC;
        if (!PermissionList.TryParse(args.GetRange(1, args.Count - 1), out var permissions)) return XenStoreErrorCode.EINVAL;
        // As cxenstored: an owner that does not exist is refused before the path is looked at,
        // for the special watches too.
        if (!r.Daemon.Domains.Exists(permissions!.Owner)) return XenStoreErrorCode.ENOENT;
        // Entries naming a domain that does not exist are kept (GET_PERMS shows them) but never
        // honoured, also once a domain of that id appears: nobody can grant a domain not yet
        // born (or one dead and reborn) anything in advance. The domains named are remembered,
        // so that the entries naming one go when it dies.
        permissions = permissions.WithIgnoredEntries(r.Daemon.Domains.Exists);
        var raw = args[0];
        if (XenStorePath.IsSpecial(raw))
        {
            // cxenstored knows no node by another special name: ENOENT.
            if (!r.Daemon.Domains.IsSpecial(raw)) return XenStoreErrorCode.ENOENT;
            if (!Access.IsOwner(r.Daemon, r.Connection, r.Daemon.Domains.SpecialPermissions(raw))) return XenStoreErrorCode.EACCES;
            r.Daemon.Domains.NoteNamed(permissions);
            r.Daemon.Domains.SetSpecialPermissions(raw, permissions);
            r.Ok();
            return null;
        }
        if (r.CanonicalPath(raw) is not { } path) return XenStoreErrorCode.EINVAL;
        var node = r.GetNode(path, PermissionAccess.Write, out var error, needOwner: true);
        if (node is null) return error;
        // Only privileged callers may give a node away (XSA-352).
        if (!r.Privileged && permissions.Owner != node.Permissions.Owner) return XenStoreErrorCode.EPERM;
        if (!r.Privileged && permissions.Owner != node.Permissions.Owner
            && r.Daemon.Domains.NodeQuotaExceeded(permissions.Owner, r.Store.NodesOwnedBy(permissions.Owner) + 1))
            return XenStoreErrorCode.ENOSPC;
        r.Daemon.Domains.NoteNamed(permissions);
        r.Store.Update(path, node.Value, permissions);
        r.Changed(path, node.Permissions);
        r.Ok();
        return null;
    }
}
