using System.Management.Automation;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the home path of a domain in XenStore.</para>
/// <para type="description">Returns /local/domain/N for each domain id, as GET_DOMAIN_PATH does. Ids come from the pipeline too.</para>
/// </summary>
/// <example><code>Get-XenStoreDomainPath -DomainId 19</code></example>
[Cmdlet(VerbsCommon.Get, "XenStoreDomainPath")]
[OutputType(typeof(string))]
public sealed class GetXenStoreDomainPathCommand : PSCmdlet
{
    /// <summary>The domain id (0–65535).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("DomId", "Id")]
    [ValidateRange(0, 65535)]
    public int[] DomainId { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var id in DomainId) WriteObject(XenStorePath.DomainHome((uint)id));
    }
}
