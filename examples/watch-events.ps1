<#
.SYNOPSIS
    Reacting to XenStore changes with PowerShell events, and noticing when xenstored goes away.

.DESCRIPTION
      1. xs: is the xenstored that XENSTORED_PATH names when the module loads.
      2. One watch on dom0's backend directory, two subscriptions to it: one with an -Action
         (runs by itself for every event and counts them in a global variable), one without
         (the script takes events with Wait-Event when it is ready for them).
      3. A device appears, changes state and goes: both subscriptions see each change.
      4. xenstored dies under the watch. Watch-XenStore -Wait stops with the terminating error
         XenStore.ConnectionLost, and the watcher raises its ConnectionLost event, which the
         script takes with Wait-Event and a timeout; the watch has ended.

    With no parameters the script hosts a xenstored of its own in a new temporary directory
    and stops it for step 4. With -RunDirectory it uses the xenstored serving RUNDIR/socket and,
    in step 4, KILLS it (the process named by RUNDIR/xenstored.pid): point it only at a
    xenstored you started for this.

    Exits 0 when every step did what it should, 1 (with the reason on standard error) otherwise.

.EXAMPLE
    dotnet pwsh -File examples/watch-events.ps1

.EXAMPLE
    dotnet pwsh -File examples/watch-events.ps1 -RunDirectory /tmp/xs
#>
[CmdletBinding()]
param(
    # Run directory of a running xenstored that may be killed. Default: host one.
    [string] $RunDirectory,
    # How long to wait for each event.
    [int] $TimeoutSec = 10
)
$ErrorActionPreference = 'Stop'

function Assert-Step([bool] $Condition, [string] $Failure) {
    if (-not $Condition) { throw $Failure }
}

# Takes events of one subscription off the queue until one for $Path arrives.
function Wait-Change([string] $SourceIdentifier, [string] $Path) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ([DateTime]::UtcNow -lt $deadline) {
        $next = Wait-Event -SourceIdentifier $SourceIdentifier -Timeout 1
        if (-not $next) { continue }
        $next | Remove-Event
        if ($next.SourceEventArgs.Path -eq $Path) { return $next }
    }
    throw "no event for $Path within $TimeoutSec s"
}

$ownDaemon = -not $RunDirectory
if ($ownDaemon) { $RunDirectory = Join-Path ([IO.Path]::GetTempPath()) "xenstore-example-$PID" }
$socket = Join-Path $RunDirectory 'socket'
$watcher = $null
$killer = $null
$global:ChangeCount = 0
$global:ChangedPaths = [Collections.Generic.List[string]]::new()

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

    # --- 2. A watch and two subscriptions -----------------------------------------------------
    # A watch fires once when it is set, then for every change at or below its path. An event
    # says "look again": it carries the path that changed, not the value.
    $watched = '/local/domain/0/backend'
    New-Item "xs:$watched" -Force | Out-Null
    $watcher = Watch-XenStore -Path "xs:$watched"
    Register-ObjectEvent -InputObject $watcher -EventName Changed -SourceIdentifier example.count -Action {
        $global:ChangeCount++
        $global:ChangedPaths.Add($EventArgs.Path)
    } | Out-Null
    Register-ObjectEvent -InputObject $watcher -EventName Changed -SourceIdentifier example.changes | Out-Null
    Register-ObjectEvent -InputObject $watcher -EventName ConnectionLost -SourceIdentifier example.lost | Out-Null
    "watching $watched"

    # --- 3. Changes ---------------------------------------------------------------------------
    # A block device's backend appears, connects, and is removed; after each change the script
    # waits for the event on the subscription without -Action.
    $device = "$watched/vbd/19/51712"
    $changes = @(
        @{ Path = "$device/state"; Do = { New-Item "xs:$device/state" -Value 1 -Force | Out-Null } }
        @{ Path = "$device/state"; Do = { Set-Content "xs:$device/state" -Value 4 } }
        @{ Path = "$watched/vbd"; Do = { Remove-Item "xs:$watched/vbd" -Recurse } }
    )
    foreach ($change in $changes) {
        & $change.Do
        $seen = Wait-Change example.changes $change.Path
        "Wait-Event saw: $($seen.SourceEventArgs.Path)"
    }
    # The -Action subscription ran on its own meanwhile; give it a moment to catch up.
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while (@($global:ChangedPaths | Where-Object { $_ -ne $watched }).Count -lt $changes.Count -and [DateTime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds 100
    }
    $counted = @($global:ChangedPaths | Where-Object { $_ -ne $watched })
    "the -Action counted $global:ChangeCount events ($($counted.Count) changes after the watch's first event)"
    Assert-Step ($counted.Count -ge $changes.Count) "the -Action saw $($counted.Count) of $($changes.Count) changes"

    # --- 4. xenstored goes away -----------------------------------------------------------------
    # A thread job pulls the plug in a second, while Watch-XenStore -Wait holds the pipeline: on
    # a hosted daemon Stop-XenStoreDaemon, otherwise the daemon's process is killed, as a crash
    # would.
    $pidFile = Join-Path $RunDirectory 'xenstored.pid'
    $killer = Start-ThreadJob -ArgumentList $ownDaemon, $module, $RunDirectory, $pidFile {
        param($Hosted, $Module, $RunDirectory, $PidFile)
        Start-Sleep -Seconds 1
        if ($Hosted) {
            Import-Module $Module -WarningAction SilentlyContinue
            Stop-XenStoreDaemon -RunDirectory $RunDirectory
            'xenstored stopped'
        }
        else {
            $daemonPid = [int](Get-Content $PidFile)
            Stop-Process -Id $daemonPid -Force
            "xenstored (pid $daemonPid) killed"
        }
    }
    $stoppedBy = $null
    try {
        Watch-XenStore -Path "xs:$watched" -Wait -Timeout ($TimeoutSec * 2) | ForEach-Object { "Watch-XenStore -Wait: $_" }
    }
    catch {
        $stoppedBy = $_
    }
    $killer | Receive-Job -Wait -AutoRemoveJob
    $killer = $null
    Assert-Step ($null -ne $stoppedBy) 'Watch-XenStore -Wait ended without an error although xenstored went away'
    Assert-Step ($stoppedBy.FullyQualifiedErrorId -like 'XenStore.ConnectionLost*') "Watch-XenStore -Wait stopped with $($stoppedBy.FullyQualifiedErrorId): $stoppedBy"
    "Watch-XenStore -Wait stopped: $($stoppedBy.FullyQualifiedErrorId.Split(',')[0])"

    $lost = Wait-Event -SourceIdentifier example.lost -Timeout $TimeoutSec
    Assert-Step ($null -ne $lost) "no ConnectionLost event within $TimeoutSec s"
    "ConnectionLost event: $($lost.SourceEventArgs.Exception.Message)"
    "watch still armed: $($watcher.EnableRaisingEvents)"
    Assert-Step (-not $watcher.EnableRaisingEvents) 'the watch is still armed after the connection was lost'
    'watch-events: OK'
    exit 0
}
catch {
    $Host.UI.WriteErrorLine("watch-events: FAILED: $($_.Exception.Message)")
    exit 1
}
finally {
    if ($killer) { $killer | Remove-Job -Force }
    foreach ($subscription in 'example.count', 'example.changes', 'example.lost') {
        Unregister-Event -SourceIdentifier $subscription -ErrorAction Ignore
    }
    if ($watcher) { $watcher.Dispose() }
    if ($ownDaemon -and (Get-Command Stop-XenStoreDaemon -ErrorAction Ignore)) {
        if (Get-PSDrive xs -ErrorAction Ignore) { Disconnect-XenStore -Name xs }
        Stop-XenStoreDaemon -RunDirectory $RunDirectory -ErrorAction Ignore
        Remove-Item $RunDirectory -Recurse -Force -ErrorAction Ignore
    }
}
