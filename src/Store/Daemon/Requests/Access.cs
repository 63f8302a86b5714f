using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// The access decision of cxenstored 4.17 (protocol §6.2). An entry naming a domain that did
/// not exist when the list was set is skipped (cxenstored's XS_PERM_IGNORE).
/// </summary>
internal static class Access
{
    /// <summary>What a connection may do with a node carrying <paramref name="permissions"/>.</summary>
    public static PermissionAccess Of(XenStoreDaemon daemon, DaemonConnection connection, PermissionList permissions)
    {
        if (IsOwner(daemon, connection, permissions)) return PermissionAccess.Both;
        var domid = connection.DomainId;
        var target = daemon.Domains.Find(domid)?.Target;
        var entries = permissions.Entries;
        for (var i = 1; i < entries.Count; i++)
            if ((entries[i].DomainId == domid || entries[i].DomainId == target) && !permissions.IsIgnored(i))
                return entries[i].Access;
        return entries[0].Access;
    }

    /// <summary>Privileged connections, the owner and the domain acting for the owner own a node.</summary>
    public static bool IsOwner(XenStoreDaemon daemon, DaemonConnection connection, PermissionList permissions)
    {
        if (connection.Privileged) return true;
        var owner = permissions.Owner;
        return owner == connection.DomainId || owner == daemon.Domains.Find(connection.DomainId)?.Target;
    }
}
