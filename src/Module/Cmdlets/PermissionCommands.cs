using System.Management.Automation;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>A node's permissions, as Get-XenStorePermission shows them.</summary>
public sealed class XenStorePermissionInfo(string path, PermissionList permissions)
{
    public string Path { get; } = path;

    /// <summary>The owning domain (first entry).</summary>
    public uint Owner => Permissions.Owner;

    /// <summary>What domains without an entry of their own may do (the first entry's letter).</summary>
    public PermissionAccess Others => Permissions.Entries[0].Access;

    /// <summary>The entries as the wire spells them: n0, r5...</summary>
    public string[] Entries => Permissions.Entries.Select(e => e.ToString()).ToArray();

    public PermissionList Permissions { get; } = permissions;

    public override string ToString() => Permissions.ToString();
}

/// <summary>
/// <para type="synopsis">Gets the permissions of XenStore nodes.</para>
/// </summary>
/// <example><code>Get-XenStorePermission -Path xs:/local/domain/0, xs:/local/domain/0/name</code></example>
[Cmdlet(VerbsCommon.Get, "XenStorePermission")]
[OutputType(typeof(XenStorePermissionInfo))]
public sealed class GetXenStorePermissionCommand : XenStorePathCmdlet
{
    /// <summary>The nodes (PowerShell paths on a XenStore drive; wildcards match existing nodes). Items from Get-ChildItem can be piped in.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            foreach (var (drive, store) in ResolvePaths(p, literal: false, PSDrive))
            {
                var permissions = Run(() => drive.Operations.GetPermissionsAsync(store), store);
                if (permissions is not null) WriteObject(new XenStorePermissionInfo(store, permissions));
            }
        }
    }
}

/// <summary>
/// <para type="synopsis">Sets the permissions of XenStore nodes.</para>
/// <para type="description">Either the wire form (-Permission 'n0','r5': the first entry names the owner and what everyone else may do) or the readable form (-Owner 0 [-Others None|Read|Write|Both] -Read 5 -Write 6 -ReadWrite 7). With -Recurse every node of each subtree gets the same permissions, as xenstore-chmod -r gives them, in one transaction: all of the subtree or none of it, with no node created meanwhile left out.</para>
/// </summary>
/// <example><code>New-Item xs:/vm/demo -Value '' -Force | Out-Null; Set-XenStorePermission -Path xs:/vm/demo -Permission 'n0','r5'</code></example>
/// <example><code>New-Item xs:/vm/demo -Value '' -Force | Out-Null; Set-XenStorePermission -Path xs:/vm/demo -Owner 0 -Read 5 -ReadWrite 6 -PassThru</code></example>
/// <example><code>New-Item xs:/vm/demo/device/vif/0/mac -Value 00:16:3e:00:00:01 -Force | Out-Null; Set-XenStorePermission -Path xs:/vm/demo -Permission 'n0','r5' -Recurse; Get-ChildItem xs:/vm/demo -Recurse | Get-XenStorePermission</code></example>
[Cmdlet(VerbsCommon.Set, "XenStorePermission", SupportsShouldProcess = true, DefaultParameterSetName = "Wire")]
[OutputType(typeof(XenStorePermissionInfo))]
public sealed class SetXenStorePermissionCommand : XenStorePathCmdlet
{
    /// <summary>The nodes (PowerShell paths on a XenStore drive; wildcards match existing nodes). Items from Get-ChildItem can be piped in.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    public string[] Path { get; set; } = [];

    /// <summary>Entries such as n0, r5, w6, b7; the first names the owner.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Wire")]
    public string[] Permission { get; set; } = [];

    /// <summary>The owning domain: it may always read and write the node, and set its permissions.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Readable")]
    [ArgumentCompleter(typeof(DomainIdCompleter))]
    public uint Owner { get; set; }

    /// <summary>What domains without an entry may do.</summary>
    [Parameter(ParameterSetName = "Readable")]
    public PermissionAccess Others { get; set; } = PermissionAccess.None;

    /// <summary>Domains that may read the node.</summary>
    [Parameter(ParameterSetName = "Readable")]
    public uint[] Read { get; set; } = [];

    /// <summary>Domains that may write the node.</summary>
    [Parameter(ParameterSetName = "Readable")]
    public uint[] Write { get; set; } = [];

    /// <summary>Domains that may read and write the node.</summary>
    [Parameter(ParameterSetName = "Readable")]
    public uint[] ReadWrite { get; set; } = [];

    /// <summary>Set the same permissions on every node below each path as well, in one transaction per path (xenstore-chmod -r).</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary>Write the permissions set, one object per node.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        PermissionList permissions;
        try
        {
            permissions = ParameterSetName == "Wire"
                ? PermissionList.Parse(string.Join(' ', Permission))
                : new PermissionList([new Permission(Owner, Others),
                    .. Read.Select(d => new Permission(d, PermissionAccess.Read)),
                    .. Write.Select(d => new Permission(d, PermissionAccess.Write)),
                    .. ReadWrite.Select(d => new Permission(d, PermissionAccess.Both))]);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "XenStore.EINVAL", ErrorCategory.InvalidArgument, Permission));
            return;
        }
        foreach (var p in Path)
        {
            foreach (var (drive, store) in ResolvePaths(p, literal: false, PSDrive))
            {
                if (Recurse)
                {
                    SetSubtree(drive, store, permissions);
                    continue;
                }
                if (!ShouldProcess(store, $"Set permissions {permissions}")) continue;
                if (Run(() => SetPermissionsAsync(drive.Operations, store, permissions, default), store) && PassThru)
                    WriteObject(new XenStorePermissionInfo(store, permissions));
            }
        }
    }

    /// <summary>
    /// SET_PERMS, with the xenstored's ENOENT for a node that exists told as what it is: an
    /// owner (or, for some daemons, any entry) naming a domain the xenstored does not know.
    /// </summary>
    private static async Task SetPermissionsAsync(XenStoreOperations store, string path, PermissionList permissions, CancellationToken cancellationToken)
    {
        XenStoreException missing;
        try
        {
            await store.SetPermissionsAsync(path, permissions, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT && e is not XenStoreCommandException)
        {
            missing = e;
        }
        if (!await store.ExistsAsync(path, cancellationToken).ConfigureAwait(false)) throw missing;
        var domains = string.Join(", ", permissions.Entries.Select(p => p.DomainId).Distinct());
        throw new XenStoreCommandException(missing,
            $"Cannot set the permissions of {path} to '{permissions}': the xenstored knows no domain among {domains} (an owner must be dom0, an introduced domain, or one the hypervisor reports).");
    }

    private int subtreeNodes;
    private int subtreeDone;

    /// <summary>
    /// -Recurse: the subtree is listed and changed inside one transaction, so a node created
    /// meanwhile makes the commit conflict and the whole is done again rather than leaving it
    /// out. An open drive transaction (Start-XenStoreTransaction) is joined instead.
    /// </summary>
    private void SetSubtree(XenStoreDriveInfo drive, string top, PermissionList permissions)
    {
        if (!ShouldProcess(top, $"Set permissions {permissions} on the node and every node below it")) return;
        IReadOnlyList<string> changed = [];
        async Task ApplyAsync(XenStoreOperations store, CancellationToken cancellationToken)
        {
            var paths = await XenStoreSubtree.PathsAsync(store, top, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref subtreeDone, 0);
            Volatile.Write(ref subtreeNodes, paths.Count);
            using var throttle = new SemaphoreSlim(XenStoreSubtree.InFlight);
            await Task.WhenAll(paths.Select(async path =>
            {
                await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await SetPermissionsAsync(store, path, permissions, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref subtreeDone);
                }
                finally
                {
                    throttle.Release();
                }
            })).ConfigureAwait(false);
            changed = paths;
        }
        var done = RunWithProgress(cancellationToken => drive.Transaction is { } open
                ? ApplyAsync(open, cancellationToken)
                : drive.Client.RunTransactionAsync(tx => ApplyAsync(tx, cancellationToken), cancellationToken: cancellationToken),
            top, () =>
            {
                var total = Volatile.Read(ref subtreeNodes);
                var doneSoFar = Volatile.Read(ref subtreeDone);
                return new ProgressRecord(1, "Set-XenStorePermission", total == 0 ? $"Listing {top}" : $"{top}: {doneSoFar} of {total} nodes")
                {
                    PercentComplete = total == 0 ? -1 : Math.Min(100, doneSoFar * 100 / total),
                };
            });
        if (done && PassThru)
            foreach (var path in changed) WriteObject(new XenStorePermissionInfo(path, permissions));
    }
}
