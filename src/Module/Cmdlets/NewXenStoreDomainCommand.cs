using System.Globalization;
using System.Management.Automation;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Sets up a domain's XenStore nodes as a toolstack does, and optionally introduces the domain to the xenstored.</para>
/// <para type="description">Writes, in one transaction, what libxl writes for a new domain: /local/domain/N owned by dom0 and readable by the domain (n0 rN); its name, domid and vm nodes; cpu, memory, device and control readable by the domain; data, drivers, feature, attr, error, control/shutdown, control/feature-*, control/sysrq and device/suspend/event-channel owned by the domain (nN); store/port and store/ring-ref; and /vm/UUID with uuid and name. A xenstored lets a node be given only to a domain that exists: one introduced, or one its hypervisor reports (for this module's daemon and xenstored-ps without a hypervisor every domain does; with the simulated one every domain not destroyed), so the nodes may come first, as in libxl. With -Introduce the INTRODUCE N MFN PORT comes first: the xenstored then serves the domain's ring and fires @introduceDomain. Without -Introduce a xenstored that knows no such domain (cxenstored without Xen, xenstored-ps --strict-domains) refuses with XenStore.ENOENT. With the simulated hypervisor (Start-XenStoreDaemon -SimXen DIR) the guest makes its own ring page, so connect it first (Connect-XenStore -Ring -SimXen DIR -DomainId N), then introduce it. Remove-XenStoreDomain undoes it all.</para>
/// </summary>
/// <example><code>New-XenStoreDomain -DomainId 19 -Name web01 -Introduce; Get-ChildItem xs:/local/domain/19 -Name</code></example>
/// <example><code>New-XenStoreDomain 21 -Name db01 -Introduce -Force | Format-List; Get-XenStorePermission xs:/local/domain/21, xs:/local/domain/21/data</code></example>
/// <example><code>$sim = Join-Path ([IO.Path]::GetTempPath()) "xs-example-$PID"; Start-XenStoreDaemon "$sim/run" -SimXen "$sim/sim" | Out-Null; Connect-XenStore -Name d0 -SocketPath "$sim/run/socket" | Out-Null; Connect-XenStore -Name g19 -Ring -SimXen "$sim/sim" -DomainId 19 -Root /local/domain/19 | Out-Null; New-XenStoreDomain 19 -Name web01 -Introduce -Drive d0; Get-Content g19:/name; Disconnect-XenStore g19; Disconnect-XenStore d0; Stop-XenStoreDaemon "$sim/run"</code></example>
[Cmdlet(VerbsCommon.New, "XenStoreDomain", SupportsShouldProcess = true)]
[OutputType(typeof(XenStoreDomainInfo))]
public sealed class NewXenStoreDomainCommand : XenStoreCmdlet
{
    /// <summary>The domain id (1-32751: 0 is dom0, and ids from 32752 are reserved by Xen).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("DomId", "Id")]
    [ValidateRange(1, 32751)]
    public uint DomainId { get; set; }

    /// <summary>The domain's name, written to its name node and to /vm/UUID/name (default: domain-N).</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The domain's UUID, which names its /vm entry (default: a new one).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public Guid? Uuid { get; set; }

    /// <summary>The frame of the domain's XenStore ring page, written to store/ring-ref and sent with INTRODUCE (default 1; the simulated hypervisor records it and does not use it).</summary>
    [Parameter]
    public ulong Mfn { get; set; } = 1;

    /// <summary>The event channel port of the domain's XenStore ring, written to store/port and sent with INTRODUCE (default 1).</summary>
    [Parameter]
    public uint EventChannel { get; set; } = 1;

    /// <summary>Send INTRODUCE before the nodes are written, so the xenstored knows the domain (it may then own nodes) and serves its ring.</summary>
    [Parameter]
    public SwitchParameter Introduce { get; set; }

    /// <summary>Replace the domain's home if it exists (as libxl does); without it an existing home is the error XenStore.EEXIST.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The drive whose xenstored gets the domain (default: the current XenStore drive, else xs:); it must be a privileged (dom0) connection.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    protected override void ProcessRecord()
    {
        var drive = ResolveDrive(Drive);
        var home = XenStorePath.DomainHome(DomainId);
        var name = Name ?? $"domain-{DomainId.ToString(CultureInfo.InvariantCulture)}";
        var vmPath = "/vm/" + (Uuid ?? Guid.NewGuid()).ToString("D");
        if (!ShouldProcess($"{drive.Name}:{home}", Introduce ? "Create domain nodes and introduce the domain" : "Create domain nodes")) return;
        // Introduced before its nodes are written, unlike libxl, whose hypervisor vouches for the
        // domain: a xenstored that knows only introduced domains may then give it nodes.
        if (Introduce && !IntroduceDomain(drive)) return;
        // A transaction of its own, not an open drive transaction: the nodes appear together.
        if (!RunWithProgress(cancellationToken => drive.Client.RunTransactionAsync(
                    tx => XenStoreDomainLayout.CreateAsync(tx, DomainId, name, vmPath, Mfn, EventChannel, Force, cancellationToken), cancellationToken: cancellationToken),
                home, () => new ProgressRecord(1, "New-XenStoreDomain", $"Writing {home}")))
            return;
        WriteObject(new XenStoreDomainInfo(DomainId, name, home, vmPath, Introduce, drive.Name));
    }

    private bool IntroduceDomain(XenStoreDriveInfo drive) => Run(async () =>
    {
        try
        {
            await drive.Client.IntroduceAsync(DomainId, Mfn, EventChannel, StopToken).ConfigureAwait(false);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT && e is not XenStoreConnectionException)
        {
            // The daemon could not reach the domain's ring page; say what that usually means.
            throw new XenStoreCommandException(e, $"The xenstored could not take domain {DomainId}'s ring (INTRODUCE answered ENOENT); with the simulated hypervisor the guest makes its page: connect it first (Connect-XenStore -Ring), then introduce it.");
        }
    }, XenStorePath.DomainHome(DomainId));
}
