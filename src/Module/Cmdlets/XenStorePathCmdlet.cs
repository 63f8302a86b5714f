using System.Management.Automation;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// A cmdlet that takes XenStore paths, items piped in among them: a piped item's own drive
/// comes with it, so that its path is resolved on the drive it came from, not on xs:.
/// </summary>
public abstract class XenStorePathCmdlet : XenStoreCmdlet
{
    /// <summary>The drive of piped items (bound from their PSDrive property, not typed).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public PSDriveInfo? PSDrive { get; set; }
}
