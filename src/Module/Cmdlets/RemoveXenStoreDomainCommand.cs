using System.Management.Automation;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Releases a domain from the xenstored and removes its XenStore nodes, as a toolstack does when the domain is destroyed.</para>
/// <para type="description">If the domain is introduced, sends RELEASE N: the xenstored stops serving its ring, forgets its watches and transactions, and fires @releaseDomain. Then removes /local/domain/N and the /vm entry its vm node names, in one transaction. A domain with neither nodes nor an introduction is the error XenStore.ENOENT. Domain ids, and objects from New-XenStoreDomain, come from the pipeline too.</para>
/// </summary>
/// <example><code>New-XenStoreDomain 23 -Introduce | Out-Null; Remove-XenStoreDomain -DomainId 23; Test-Path xs:/local/domain/23</code></example>
/// <example><code>New-XenStoreDomain 24 -Introduce | Remove-XenStoreDomain -WhatIf</code></example>
[Cmdlet(VerbsCommon.Remove, "XenStoreDomain", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveXenStoreDomainCommand : XenStoreCmdlet
{
    /// <summary>The domain ids (1-32751).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("DomId", "Id")]
    [ValidateRange(1, 32751)]
    [ArgumentCompleter(typeof(DomainIdCompleter))]
    public uint[] DomainId { get; set; } = [];

    /// <summary>The drive whose xenstored holds the domains (default: the current XenStore drive, else xs:); it must be a privileged (dom0) connection.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    protected override void ProcessRecord()
    {
        var drive = ResolveDrive(Drive);
        foreach (var domid in DomainId)
        {
            var home = XenStorePath.DomainHome(domid);
            if (!ShouldProcess($"{drive.Name}:{home}", "Release the domain and remove its nodes")) continue;
            RunWithProgress(async cancellationToken =>
            {
                var introduced = await drive.Client.IsDomainIntroducedAsync(domid, cancellationToken).ConfigureAwait(false);
                if (!introduced && !await drive.Client.ExistsAsync(home, cancellationToken).ConfigureAwait(false))
                    throw new XenStoreCommandException(XenStoreErrorCode.ENOENT, home, $"Domain {domid} is not introduced and has no {home}.");
                // Released first, so the guest is no longer served while its nodes go.
                if (introduced) await drive.Client.ReleaseAsync(domid, cancellationToken).ConfigureAwait(false);
                await drive.Client.RunTransactionAsync(tx => XenStoreDomainLayout.RemoveAsync(tx, domid, cancellationToken), cancellationToken: cancellationToken).ConfigureAwait(false);
            }, home, () => new ProgressRecord(1, "Remove-XenStoreDomain", $"Releasing domain {domid}"));
        }
    }
}
