<#
.SYNOPSIS
    Provisioning a VM's XenStore keys the way automation should: in one transaction, then
    waiting for the backend driver, then a backup that restores exactly.

.DESCRIPTION
      1. xs: is the xenstored that XENSTORED_PATH names when the module loads.
      2. The VM's keys (/vm/<uuid>) and its network backend's keys
         (/local/domain/0/backend/vif/<domid>/0) are written in ONE transaction, permissions
         included: another client sees all of them or none of them, and a conflicting change
         makes Invoke-XenStoreTransaction run the block again.
      3. A backend driver (netback) takes the device from state 1 (Initialising) through 2
         (InitWait) and 3 (Initialised) to 4 (Connected). The script waits for 4 through a watch,
         with a timeout; a backend that never connects is a non-terminating XenStore.WaitTimeout
         the script acts on: it reports the state the device is stuck in and exits 2.
         Without a Xen backend, the script plays the backend in a thread job with a connection
         of its own; -NoBackend leaves that to someone else (a real backend, or another process).
      4. /vm/<uuid> is exported to a file, removed, imported back, and compared: the same
         nodes, values and permissions.

    With no parameters the script hosts a xenstored of its own in a new temporary directory and
    stops it at the end. With -RunDirectory it uses the xenstored serving RUNDIR/socket, and
    leaves the keys it wrote there.

    Exits 0 when every step did what it should, 2 when the backend did not connect in time,
    1 (with the reason on standard error) on any other failure.

.EXAMPLE
    dotnet pwsh -File examples/provision-vm.ps1

.EXAMPLE
    dotnet pwsh -File examples/provision-vm.ps1 -RunDirectory /tmp/xs -NoBackend -TimeoutSec 5
#>
[CmdletBinding()]
param(
    # Run directory of a running xenstored (socket RUNDIR/socket). Default: host one.
    [string] $RunDirectory,
    # The VM: its domain id, name and uuid, and its network card's MAC address.
    [ValidateRange(1, 32751)] [int] $DomainId = 19,
    [string] $Name = 'web01',
    [guid] $Uuid = [guid]::NewGuid(),
    [string] $Mac = '00:16:3e:5a:01:13',
    # How long the backend may take to connect.
    [int] $TimeoutSec = 30,
    # Do not play the backend driver: wait for a real one (or another process) to connect.
    [switch] $NoBackend,
    # Where the export goes (default: a temporary file, removed at the end).
    [string] $ExportPath
)
$ErrorActionPreference = 'Stop'

function Assert-Step([bool] $Condition, [string] $Failure) {
    if (-not $Condition) { throw $Failure }
}

# Every node of a subtree, its top included, as "path = value (permissions)", to compare two
# states of it.
function Get-Snapshot([string] $Path) {
    @(Get-Item $Path) + @(Get-ChildItem $Path -Recurse) | ForEach-Object { '{0} = "{1}" ({2})' -f $_.FullName, $_.Value, $_.Permissions }
}

$ownDaemon = -not $RunDirectory
if ($ownDaemon) { $RunDirectory = Join-Path ([IO.Path]::GetTempPath()) "xenstore-example-$PID" }
$ownExport = -not $ExportPath
if ($ownExport) { $ExportPath = Join-Path ([IO.Path]::GetTempPath()) "xenstore-vm-$Uuid.json" }
$socket = Join-Path $RunDirectory 'socket'
$vm = "xs:/vm/$Uuid"
$backend = "xs:/local/domain/0/backend/vif/$DomainId/0"
$backendDriver = $null

try {
    # --- 1. Connect ---------------------------------------------------------------------------
    # On a Xen host xs: finds /run/xenstored/socket by itself; here XENSTORED_PATH names ours.
    $env:XENSTORED_PATH = $socket
    $manifest = Join-Path $PSScriptRoot '../XenStore.psd1'      # a checkout; else the installed module
    $module = if (Test-Path $manifest) { $manifest } else { 'XenStore' }
    if ($ownDaemon) {
        # Nothing serves $socket yet: the module loads without xs: (its warning is expected), a
        # daemon hosted in this session starts, and xs: is mounted on it.
        Import-Module $module -WarningAction SilentlyContinue
        Start-XenStoreDaemon -RunDirectory $RunDirectory | Out-Null
        Connect-XenStore -Name xs -SocketPath $socket -Force | Out-Null
    }
    else {
        Import-Module $module
    }
    Assert-Step ([bool](Get-PSDrive xs -ErrorAction Ignore)) "no xenstored answers on $socket"
    "xs: is $((Get-PSDrive xs).Description)"

    # --- 2. One transaction -------------------------------------------------------------------
    # Everything the provider does on xs: inside the block is one XenStore transaction. The
    # backend's directory is dom0's and readable by the guest (n0 r19), as libxl leaves it.
    Invoke-XenStoreTransaction {
        New-Item "$vm/name" -Value $Name -Force | Out-Null
        New-Item "$vm/uuid" -Value "$Uuid" -Force | Out-Null
        New-Item "$vm/device/vif/0" -Value "/local/domain/0/backend/vif/$DomainId/0" -Force | Out-Null
        $keys = [ordered]@{
            'frontend'    = "/local/domain/$DomainId/device/vif/0"
            'frontend-id' = "$DomainId"
            'mac'         = $Mac
            'bridge'      = 'xenbr0'
            'handle'      = '0'
            'online'      = '1'
            'state'       = '1'                     # XenbusStateInitialising
        }
        foreach ($key in $keys.Keys) { New-Item "$backend/$key" -Value $keys[$key] -Force | Out-Null }
        Set-XenStorePermission $vm -Permission n0, "r$DomainId" -Recurse
        Set-XenStorePermission "xs:/local/domain/0/backend/vif/$DomainId" -Permission n0, "r$DomainId" -Recurse
    }
    $written = @(Get-Snapshot $vm) + @(Get-Snapshot $backend)
    "provisioned in one transaction: $($written.Count) nodes"
    $written
    Assert-Step ((Get-Content "$vm/name") -eq $Name) "/vm/$Uuid/name is not $Name"

    # --- 3. Wait for the backend --------------------------------------------------------------
    if (-not $NoBackend) {
        # Stand-in for netback: its own connection, moving the device's state as the driver
        # would once the frontend shows up. (On Xen, the real backend does this.)
        $backendDriver = Start-ThreadJob -ArgumentList $module, $socket, $backend.Substring(3) {
            param($Module, $Socket, $Device)
            Import-Module $Module -WarningAction SilentlyContinue
            Connect-XenStore -Name netback -SocketPath $Socket | Out-Null
            foreach ($state in 2, 3, 4) {
                Start-Sleep -Milliseconds 300
                Set-Content "netback:$Device/state" -Value $state
                "backend: state $state"
            }
            Disconnect-XenStore -Name netback
        }
    }
    # Wait-XenStore sets a watch and returns as soon as the value is there; a timeout is a
    # non-terminating error (XenStore.WaitTimeout), so the script decides what it means.
    $waited = [Diagnostics.Stopwatch]::StartNew()
    $connected = Wait-XenStore "$backend/state" -Value 4 -TimeoutSec $TimeoutSec -PassThru `
        -ErrorAction SilentlyContinue -ErrorVariable waitErrors
    if ($backendDriver) { $backendDriver | Receive-Job -Wait -AutoRemoveJob; $backendDriver = $null }
    if (-not $connected) {
        $state = Get-Content "$backend/state"
        $reason = if ($waitErrors) { $waitErrors[0].FullyQualifiedErrorId.Split(',')[0] } else { 'no error' }
        $Host.UI.WriteErrorLine("provision-vm: the backend of vif $DomainId/0 did not connect within $TimeoutSec s ($reason); its state is $state")
        exit 2
    }
    'backend connected: state {0} after {1:0.0} s' -f $connected.Value, $waited.Elapsed.TotalSeconds

    # --- 4. Export, remove, import, compare ---------------------------------------------------
    # An export holds paths, values and permissions; it is read in one transaction, so it is
    # a consistent snapshot. The import writes it back in one transaction too.
    $before = Get-Snapshot $vm
    Export-XenStore $vm -OutFile $ExportPath
    "exported /vm/$Uuid ($($before.Count) nodes) to $ExportPath"
    Remove-Item $vm -Recurse
    Assert-Step (-not (Test-Path $vm)) "/vm/$Uuid is still there"
    "removed /vm/$Uuid"
    Import-XenStore -InputFile $ExportPath -Drive xs
    $after = Get-Snapshot $vm
    $differences = Compare-Object @($before) @($after) -SyncWindow 0
    Assert-Step (-not $differences) "the import differs from the export: $($differences | Out-String)"
    "imported /vm/${Uuid}: $($after.Count) nodes, values and permissions equal"
    'provision-vm: OK'
    exit 0
}
catch {
    $Host.UI.WriteErrorLine("provision-vm: FAILED: $($_.Exception.Message)")
    exit 1
}
finally {
    if ($backendDriver) { $backendDriver | Remove-Job -Force }
    if ($ownExport) { Remove-Item $ExportPath -ErrorAction Ignore }
    if ($ownDaemon -and (Get-Command Stop-XenStoreDaemon -ErrorAction Ignore)) {
        if (Get-PSDrive xs -ErrorAction Ignore) { Disconnect-XenStore -Name xs }
        Stop-XenStoreDaemon -RunDirectory $RunDirectory -ErrorAction Ignore
        Remove-Item $RunDirectory -Recurse -Force -ErrorAction Ignore
    }
}
