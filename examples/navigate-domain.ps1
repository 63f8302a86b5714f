<#
.SYNOPSIS
    A guest domain in XenStore, seen from dom0 and from the guest itself.

.DESCRIPTION
    What a toolstack does when a VM starts, and what an administrator then looks at:

      1. xs: is the xenstored that XENSTORED_PATH names when the module loads.
      2. The guest's side of its ring exists (with the simulated hypervisor the guest makes its
         own ring page, so it connects before dom0 introduces it).
      3. dom0 introduces domain 19 and writes its home /local/domain/19, as libxl does.
      4. We browse the domain's home with cd and Get-ChildItem and read its permissions.
      5. From the guest's own connection: it reads its home, writes to data/, and is refused
         dom0's nodes.
      6. dom0 releases the domain; everybody watching @releaseDomain is told.

    With no parameters the script hosts a xenstored of its own in a new temporary directory and
    stops it at the end. With -RunDirectory it uses a xenstored that is already running there
    with the simulated hypervisor (socket DIR/socket, hypervisor directory DIR/sim), e.g.

        dotnet run --project src/Daemon -c Release -- --rundir /tmp/xs --sim-xen /tmp/xs/sim

    Exits 0 when every step did what it should, 1 (with the reason on standard error) otherwise.

.EXAMPLE
    dotnet pwsh -File examples/navigate-domain.ps1

.EXAMPLE
    dotnet pwsh -File examples/navigate-domain.ps1 -RunDirectory /tmp/xs -DomainId 7 -Name db01
#>
[CmdletBinding()]
param(
    # Run directory of a running xenstored started with --sim-xen RUNDIR/sim. Default: host one.
    [string] $RunDirectory,
    # The guest's domain id and name.
    [ValidateRange(1, 32751)] [int] $DomainId = 19,
    [string] $Name = 'web01'
)
$ErrorActionPreference = 'Stop'

# Stops the script with a message when a step did not do what it should.
function Assert-Step([bool] $Condition, [string] $Failure) {
    if (-not $Condition) { throw $Failure }
}

$ownDaemon = -not $RunDirectory
if ($ownDaemon) { $RunDirectory = Join-Path ([IO.Path]::GetTempPath()) "xenstore-example-$PID" }
$socket = Join-Path $RunDirectory 'socket'
$simXen = Join-Path $RunDirectory 'sim'
$guestDrive = "g$DomainId"
$releaseWatch = $null

try {
    # --- 1. Connect ---------------------------------------------------------------------------
    # Like the xenstore-* tools, the module reaches the xenstored that XENSTORED_PATH names; it
    # mounts xs: on it when it loads. On a Xen host you would not set anything: xs: finds
    # /run/xenstored/socket by itself.
    $env:XENSTORED_PATH = $socket
    $manifest = Join-Path $PSScriptRoot '../XenStore.psd1'      # a checkout; else the installed module
    $module = if (Test-Path $manifest) { $manifest } else { 'XenStore' }
    if ($ownDaemon) {
        # Nothing serves $socket yet, so the module loads without xs: (the warning saying so is
        # expected); then a daemon hosted in this session serves it, and xs: is mounted on it.
        Import-Module $module -WarningAction SilentlyContinue
        Start-XenStoreDaemon -RunDirectory $RunDirectory -SimXen $simXen | Out-Null
        Connect-XenStore -Name xs -SocketPath $socket -Force | Out-Null
    }
    else {
        Import-Module $module
    }
    Assert-Step ([bool](Get-PSDrive xs -ErrorAction Ignore)) "no xenstored answers on $socket"
    "xs: is $((Get-PSDrive xs).Description)"

    # --- 2. The guest's ring ------------------------------------------------------------------
    # In real Xen the guest's ring page exists when the domain is built. With the simulated
    # hypervisor the guest creates it (sim/<domid>/ring), so the guest connects first; its drive
    # is its own, unprivileged connection to the same xenstored.
    Connect-XenStore -Name $guestDrive -Ring -SimXen $simXen -DomainId $DomainId | Out-Null

    # --- 3. dom0 introduces the domain --------------------------------------------------------
    # INTRODUCE tells xenstored about the domain (and starts serving its ring), then the
    # domain's home is written as libxl writes it: /local/domain/N readable by the guest, the
    # directories the guest writes to owned by it, and /vm/<uuid>.
    $domain = New-XenStoreDomain -DomainId $DomainId -Name $Name -Introduce -Drive xs
    Assert-Step $domain.Introduced "domain $DomainId was not introduced"
    "introduced domain $DomainId ($Name), vm path $($domain.VmPath)"

    # --- 4. Browse it from dom0 ---------------------------------------------------------------
    Set-Location xs:/local/domain/$DomainId
    "location: $((Get-Location).Path)"
    Get-ChildItem | Format-Table -AutoSize
    $readName = Get-Content name
    $readDomid = Get-Content domid
    "name: $readName"
    "domid: $readDomid"
    Assert-Step ($readName -eq $Name -and $readDomid -eq "$DomainId") "the domain's home says $readName/$readDomid"
    # The first entry names the owner and what everyone else may do; then one entry per
    # domain: n0 r19 = owned by dom0, nobody else, domain 19 may read.
    $homePerms = "$(Get-XenStorePermission .)"
    $dataPerms = "$(Get-XenStorePermission data)"
    "permissions of /local/domain/${DomainId}: $homePerms"
    "permissions of /local/domain/$DomainId/data: $dataPerms"
    Assert-Step ($homePerms -eq "n0 r$DomainId" -and $dataPerms -eq "n$DomainId") "unexpected permissions $homePerms / $dataPerms"
    Set-Location xs:/

    # --- 5. The guest's view ------------------------------------------------------------------
    # The same nodes through the guest's ring, with the guest's rights.
    $guestName = Get-Content "${guestDrive}:/local/domain/$DomainId/name"
    "guest reads its name: $guestName"
    Assert-Step ($guestName -eq $Name) "the guest read name = $guestName"
    Set-Content "${guestDrive}:/local/domain/$DomainId/data/booted" -Value 1
    "guest wrote data/booted: $(Get-Content xs:/local/domain/$DomainId/data/booted)"
    # It may read its name but not change it, and dom0's nodes are not its business.
    foreach ($attempt in
        @{ What = "writing its own name"; Do = { Set-Content "${guestDrive}:/local/domain/$DomainId/name" -Value renamed } },
        @{ What = "reading /local/domain/0/name"; Do = { Get-Content "${guestDrive}:/local/domain/0/name" } },
        @{ What = "listing /local/domain/0"; Do = { Get-ChildItem "${guestDrive}:/local/domain/0" } }) {
        $refused = $null
        try { & $attempt.Do | Out-Null } catch { $refused = $_ }
        Assert-Step ($null -ne $refused) "the guest succeeded in $($attempt.What)"
        Assert-Step ($refused.FullyQualifiedErrorId -like 'XenStore.EACCES*') "the guest $($attempt.What): $refused"
        "guest $($attempt.What): refused ($($refused.FullyQualifiedErrorId.Split(',')[0]))"
    }

    # --- 6. Release -----------------------------------------------------------------------------
    # Toolstacks and backends watch @releaseDomain to learn that a domain is gone. A watch fires
    # once when it is set; that first event is taken off the queue before the release.
    $releaseWatch = Watch-XenStore -Path '@releaseDomain' -Drive xs
    Register-ObjectEvent -InputObject $releaseWatch -EventName Changed -SourceIdentifier example.release | Out-Null
    Wait-Event -SourceIdentifier example.release -Timeout 10 | Remove-Event
    Remove-XenStoreDomain -DomainId $DomainId -Drive xs
    $released = Wait-Event -SourceIdentifier example.release -Timeout 10
    Assert-Step ($null -ne $released) '@releaseDomain did not fire within 10 seconds'
    "watch fired: $($released.SourceEventArgs.Path)"
    $gone = -not (Test-Path xs:/local/domain/$DomainId)
    "home removed: $gone"
    Assert-Step $gone "/local/domain/$DomainId is still there"
    'navigate-domain: OK'
    exit 0
}
catch {
    $Host.UI.WriteErrorLine("navigate-domain: FAILED: $($_.Exception.Message)")
    exit 1
}
finally {
    if ($releaseWatch) {
        Unregister-Event -SourceIdentifier example.release -ErrorAction Ignore
        $releaseWatch.Dispose()
    }
    Set-Location ([IO.Path]::GetTempPath())
    if (Get-PSDrive $guestDrive -ErrorAction Ignore) { Disconnect-XenStore -Name $guestDrive }
    if ($ownDaemon -and (Get-Command Stop-XenStoreDaemon -ErrorAction Ignore)) {
        if (Get-PSDrive xs -ErrorAction Ignore) { Disconnect-XenStore -Name xs }
        Stop-XenStoreDaemon -RunDirectory $RunDirectory -ErrorAction Ignore
        Remove-Item $RunDirectory -Recurse -Force -ErrorAction Ignore
    }
}
