# Starts and stops the four backends Backends.Tests.ps1 runs its one set of provider tests on:
#   embedded    Connect-XenStore -Embedded (a daemon hosted in this session)
#   standalone  our daemon (src/Daemon) as a process of its own, by socket
#   cxenstored  Xen 4.17's C daemon through the shared anchor scripts, by socket
#   ring        a guest's ring drive on the simulated hypervisor (domain $GuestDomain)
# Every backend mounts drive b: rooted at / and gets a scratch root it may write: dom0's
# /pester-backends/<random>, the guest's own /local/domain/N/data/<random>.
$ErrorActionPreference = 'Stop'

$ProjectRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$GuestDomain = 23
Import-Module (Join-Path $PSScriptRoot 'StandaloneDaemon.psm1') -Force

function Get-AnchorDirectory {
    $shared = if ($env:XENSTOREPS_SHARED) { $env:XENSTOREPS_SHARED } else { Join-Path (Split-Path $ProjectRoot) 'shared' }
    Join-Path $shared 'anchor'
}

function Get-AnchorCache { if ($env:XEN_ANCHOR_CACHE) { $env:XEN_ANCHOR_CACHE } else { '/tmp/xen' } }

# The backends, for BeforeDiscovery. Only cxenstored may be skipped, and only outside CI when
# the anchor (its scripts, or the daemon they unpack: scripts/install-test-peers.sh) is missing;
# with $env:CI = 'true' it always runs, and fails if it cannot start.
function Get-XenStoreBackend {
    $anchor = Get-AnchorDirectory
    $haveAnchor = (Test-Path (Join-Path $anchor 'start-anchor.sh')) -and
        (Test-Path (Join-Path (Get-AnchorCache) 'usr/lib/xen-4.17/bin/xenstored'))
    $skipReference = $env:CI -ne 'true' -and -not $haveAnchor
    $all = @(
        @{ Backend = 'embedded'; Skip = $false }
        @{ Backend = 'standalone'; Skip = $false }
        @{ Backend = 'cxenstored'; Skip = $skipReference }
        @{ Backend = 'ring'; Skip = $false }
    )
    # XENSTOREPS_BACKENDS=ring,cxenstored runs only those (while working on one of them).
    if ($env:XENSTOREPS_BACKENDS) {
        $picked = $env:XENSTOREPS_BACKENDS -split '[, ]+' | Where-Object { $_ }
        $all = $all | Where-Object { $_.Backend -in $picked }
    }
    $all
}

function New-ScratchDirectory([string] $Tag) {
    # Short: a Unix socket path must stay under 108 bytes.
    $dir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pb-$Tag-$PID-$(Get-Random -Maximum 99999)"
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    $dir
}

# Starts a backend, mounts b: on it and makes its scratch root. Whatever it started is recorded
# on the returned object as it goes, so Stop-XenStoreBackend can undo a half-done start.
function Start-XenStoreBackend {
    param([Parameter(Mandatory)] [string] $Backend, [Parameter(Mandatory)] [ref] $State)
    $b = [pscustomobject]@{
        Backend = $Backend; Drive = 'b'; Root = $null; DomainId = 0; Home = '/local/domain/0'
        Dom0Drive = $null; RunDir = $null; SimDir = $null; Process = $null; InSessionDaemon = $false; AnchorRunDir = $null
    }
    $State.Value = $b
    switch ($Backend) {
        'embedded' {
            Connect-XenStore -Name b -Embedded -Force | Out-Null
        }
        'standalone' {
            $b.RunDir = New-ScratchDirectory s
            $b.Process = Start-StandaloneDaemon $b.RunDir
            Connect-XenStore -Name b -SocketPath (Join-Path $b.RunDir 'socket') -Force | Out-Null
        }
        'cxenstored' {
            $anchor = Get-AnchorDirectory
            $b.AnchorRunDir = New-ScratchDirectory c
            # Its stand-in hypervisor reports every domain as existing, as ours counts them without one.
            $env:ANCHOR_DOMAINS = 'all'
            try { $output = & /bin/bash (Join-Path $anchor 'start-anchor.sh') cxenstored $b.AnchorRunDir 2>&1 }
            finally { Remove-Item Env:ANCHOR_DOMAINS }
            $daemonPid = ($output | Where-Object { $_ -is [string] -and $_ -match '^\d+$' } | Select-Object -Last 1)
            if ($LASTEXITCODE -ne 0 -or -not $daemonPid) {
                throw "start-anchor.sh cxenstored $($b.AnchorRunDir) failed (exit $LASTEXITCODE): $($output -join "`n")"
            }
            Connect-XenStore -Name b -SocketPath (Join-Path $b.AnchorRunDir 'socket') -Force | Out-Null
        }
        'ring' {
            $b.RunDir = New-ScratchDirectory r
            $b.SimDir = Join-Path $b.RunDir 'sim'
            Start-XenStoreDaemon -RunDirectory $b.RunDir -SimXen $b.SimDir | Out-Null
            $b.InSessionDaemon = $true
            $b.Dom0Drive = 'b0'
            Connect-XenStore -Name b0 -SocketPath (Join-Path $b.RunDir 'socket') -Force | Out-Null
            # The simulated guest makes its ring page, so it connects before dom0 introduces it.
            Connect-XenStore -Name b -Ring -SimXen $b.SimDir -DomainId $GuestDomain -Force | Out-Null
            New-XenStoreDomain -DomainId $GuestDomain -Name pester-backends -Introduce -Drive b0 | Out-Null
            $b.DomainId = $GuestDomain
            $b.Home = "/local/domain/$GuestDomain"
        }
        default { throw "unknown backend $Backend" }
    }
    $b.Root = if ($Backend -eq 'ring') { "$($b.Home)/data/pb$(Get-Random -Maximum 99999)" } else { "/pester-backends/$(Get-Random -Maximum 99999)" }
    New-Item "b:$($b.Root)" -Value '' -Force | Out-Null
    $b
}

# Undoes whatever Start-XenStoreBackend got to, every step even when one fails; nothing keeps running.
function Stop-XenStoreBackend($b) {
    if (-not $b) { return }
    $failures = @()
    $steps = @(
        { if (Get-PSDrive b -ErrorAction Ignore) { Remove-Item "b:$($b.Root)" -Recurse -ErrorAction Ignore } }
        { if (Get-PSDrive b -ErrorAction Ignore) { Disconnect-XenStore -Name b } }
        { if ($b.Dom0Drive -and (Get-PSDrive $b.Dom0Drive -ErrorAction Ignore)) { Disconnect-XenStore -Name $b.Dom0Drive } }
        { if ($b.InSessionDaemon) { Stop-XenStoreDaemon -RunDirectory $b.RunDir } }
        { if ($b.Process) { Stop-StandaloneDaemon $b.Process } }
        { if ($b.AnchorRunDir) { & /bin/bash (Join-Path (Get-AnchorDirectory) 'stop-anchor.sh') $b.AnchorRunDir 2>&1 | Out-Null } }
        { foreach ($d in $b.RunDir, $b.AnchorRunDir) { if ($d) { Remove-Item $d -Recurse -Force -ErrorAction Ignore } } }
    )
    foreach ($step in $steps) {
        try { & $step } catch { $failures += $_ }
    }
    if ($failures) { throw "stopping backend $($b.Backend): $($failures -join '; ')" }
}

# Each node of a subtree as "path [value] perms", read through the provider.
function Get-XenStoreSnapshot([string] $Path) {
    Get-ChildItem $Path -Recurse | ForEach-Object { '{0} [{1}] {2}' -f $_.FullName, $_.Value, $_.Permissions }
}

Export-ModuleMember -Function Get-XenStoreBackend, Start-XenStoreBackend, Stop-XenStoreBackend, Get-XenStoreSnapshot, Get-AnchorDirectory
