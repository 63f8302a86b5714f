using System.Globalization;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// The nodes a toolstack gives a new domain, as libxl's domain creation writes them: the home
/// /local/domain/N owned by dom0 and readable by the domain ("n0 rN"), the directories the
/// guest writes to (data, device/suspend/event-channel, control/shutdown...) owned by the
/// domain ("nN"), name and domid, the store ring's port and frame, and /vm/UUID. A xenstored
/// only lets a node be given to a domain it knows: one the hypervisor reports, or one
/// introduced (without a hypervisor, only the latter).
/// </summary>
internal static class XenStoreDomainLayout
{
    /// <summary>Directories the domain may read but not change (libxl's roperm).</summary>
    private static readonly string[] ReadOnly = ["cpu", "memory", "device", "control"];

    /// <summary>Nodes that belong to the domain (libxl's rwperm): where a guest reports and asks.</summary>
    private static readonly string[] Writable =
    [
        "control/shutdown", "control/feature-poweroff", "control/feature-reboot", "control/feature-suspend", "control/sysrq",
        "device/suspend/event-channel", "data", "drivers", "feature", "attr", "error",
    ];

    /// <summary>Writes the layout inside <paramref name="tx"/>; an existing home is an EEXIST unless <paramref name="replace"/>, which removes it and its /vm entry first.</summary>
    public static async Task CreateAsync(XenStoreTransaction tx, uint domid, string name, string vmPath, ulong ringFrame, uint eventChannel, bool replace, CancellationToken cancellationToken)
    {
        var home = XenStorePath.DomainHome(domid);
        if (await tx.ExistsAsync(home, cancellationToken).ConfigureAwait(false))
        {
            if (!replace) throw new XenStoreCommandException(XenStoreErrorCode.EEXIST, home, $"Domain {domid} already has {home}; -Force replaces it.");
            await RemoveAsync(tx, domid, cancellationToken).ConfigureAwait(false);
        }
        if (await tx.ExistsAsync(vmPath, cancellationToken).ConfigureAwait(false)) await tx.RemoveAsync(vmPath, cancellationToken).ConfigureAwait(false);
        var readOnly = new PermissionList([new Permission(0, PermissionAccess.None), new Permission(domid, PermissionAccess.Read)]);
        var owned = new PermissionList([new Permission(domid, PermissionAccess.None)]);
        string Id(ulong n) => n.ToString(CultureInfo.InvariantCulture);

        await MakeNodeAsync(tx, home, readOnly, cancellationToken).ConfigureAwait(false);
        await MakeNodeAsync(tx, vmPath, readOnly, cancellationToken).ConfigureAwait(false);
        // Written nodes take their parent's permissions, as they do in libxl's transaction.
        await tx.WriteAsync(home + "/vm", vmPath, cancellationToken).ConfigureAwait(false);
        await tx.WriteAsync(home + "/name", name, cancellationToken).ConfigureAwait(false);
        await tx.WriteAsync(home + "/domid", Id(domid), cancellationToken).ConfigureAwait(false);
        foreach (var node in ReadOnly) await MakeNodeAsync(tx, $"{home}/{node}", readOnly, cancellationToken).ConfigureAwait(false);
        foreach (var node in Writable)
        {
            try
            {
                await MakeNodeAsync(tx, $"{home}/{node}", owned, cancellationToken).ConfigureAwait(false);
            }
            catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
            {
                // The node was just written, so it is the new owner the xenstored does not know.
                throw new XenStoreCommandException(e.Code, home,
                    $"The xenstored does not know domain {domid}, so the domain cannot own nodes: introduce it first (New-XenStoreDomain -Introduce).", e);
            }
        }
        await tx.WriteAsync(home + "/control/platform-feature-multiprocessor-suspend", "1", cancellationToken).ConfigureAwait(false);
        await tx.WriteAsync(home + "/control/platform-feature-xs_reset_watches", "1", cancellationToken).ConfigureAwait(false);
        // What libxl writes once the domain is built, before it introduces it.
        await tx.WriteAsync(home + "/store/port", Id(eventChannel), cancellationToken).ConfigureAwait(false);
        await tx.WriteAsync(home + "/store/ring-ref", Id(ringFrame), cancellationToken).ConfigureAwait(false);
        await tx.WriteAsync(vmPath + "/uuid", vmPath[(vmPath.LastIndexOf('/') + 1)..], cancellationToken).ConfigureAwait(false);
        await tx.WriteAsync(vmPath + "/name", name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a domain's home and the /vm entry its vm node names (nodes already gone are fine).</summary>
    public static async Task RemoveAsync(XenStoreTransaction tx, uint domid, CancellationToken cancellationToken)
    {
        var home = XenStorePath.DomainHome(domid);
        try
        {
            var vmPath = await tx.ReadStringAsync(home + "/vm", cancellationToken).ConfigureAwait(false);
            // Only a /vm entry: the node is the domain's to name, and must not make us delete anything else.
            if (vmPath.StartsWith("/vm/", StringComparison.Ordinal) && vmPath.IndexOf('/', 4) < 0 && await tx.ExistsAsync(vmPath, cancellationToken).ConfigureAwait(false))
                await tx.RemoveAsync(vmPath, cancellationToken).ConfigureAwait(false);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT) { }
        if (await tx.ExistsAsync(home, cancellationToken).ConfigureAwait(false)) await tx.RemoveAsync(home, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An empty node with these permissions (libxl__xs_mknod).</summary>
    private static async Task MakeNodeAsync(XenStoreTransaction tx, string path, PermissionList permissions, CancellationToken cancellationToken)
    {
        await tx.WriteAsync(path, "", cancellationToken).ConfigureAwait(false);
        await tx.SetPermissionsAsync(path, permissions, cancellationToken).ConfigureAwait(false);
    }
}
