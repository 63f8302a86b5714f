using System.Management.Automation;
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
/// <example><code>Get-XenStorePermission -Path xs:/local/domain/19</code></example>
[Cmdlet(VerbsCommon.Get, "XenStorePermission")]
[OutputType(typeof(XenStorePermissionInfo))]
public sealed class GetXenStorePermissionCommand : XenStoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            var (drive, store) = ResolvePath(p);
            var permissions = Run(() => drive.Operations.GetPermissionsAsync(store), store);
            if (permissions is not null) WriteObject(new XenStorePermissionInfo(store, permissions));
        }
    }
}

/// <summary>
/// <para type="synopsis">Sets the permissions of XenStore nodes.</para>
/// <para type="description">Either the wire form (-Permission 'n0','r5': the first entry names the owner and what everyone else may do) or the readable form (-Owner 0 [-Others None|Read|Write|Both] -Read 5 -Write 6 -ReadWrite 7).</para>
/// </summary>
/// <example><code>Set-XenStorePermission -Path xs:/local/domain/19/data -Permission 'n19','r0'</code></example>
/// <example><code>Set-XenStorePermission -Path xs:/vm/a -Owner 0 -Read 5</code></example>
[Cmdlet(VerbsCommon.Set, "XenStorePermission", SupportsShouldProcess = true, DefaultParameterSetName = "Wire")]
[OutputType(typeof(XenStorePermissionInfo))]
public sealed class SetXenStorePermissionCommand : XenStoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    public string[] Path { get; set; } = [];

    /// <summary>Entries such as n0, r5, w6, b7; the first names the owner.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Wire")]
    public string[] Permission { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "Readable")]
    [ArgumentCompleter(typeof(DomainIdCompleter))]
    public uint Owner { get; set; }

    /// <summary>What domains without an entry may do.</summary>
    [Parameter(ParameterSetName = "Readable")]
    public PermissionAccess Others { get; set; } = PermissionAccess.None;

    [Parameter(ParameterSetName = "Readable")]
    public uint[] Read { get; set; } = [];

    [Parameter(ParameterSetName = "Readable")]
    public uint[] Write { get; set; } = [];

    [Parameter(ParameterSetName = "Readable")]
    public uint[] ReadWrite { get; set; } = [];

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
            var (drive, store) = ResolvePath(p);
            if (!ShouldProcess(store, $"Set permissions {permissions}")) continue;
            if (Run(() => drive.Operations.SetPermissionsAsync(store, permissions), store) && PassThru)
                WriteObject(new XenStorePermissionInfo(store, permissions));
        }
    }
}
