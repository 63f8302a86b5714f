# Pester 5: the example scripts in examples/, run as a user runs them (`pwsh -File`, each in a fresh
# process of this same pwsh): on their own, hosting their own xenstored, and against a standalone
# xenstored (src/Daemon) this suite starts and passes with -RunDirectory. What they print, their
# exit codes and what they leave in the store are checked; nothing is left running.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $ExamplesDir = Join-Path $ProjectRoot 'examples'
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force -WarningAction Ignore
    Import-Module (Join-Path $PSScriptRoot 'StandaloneDaemon.psm1') -Force

    # The standalone daemon in a process of its own (so that a script may kill it), with the
    # simulated hypervisor in DIR/sim.
    function Start-HostDaemon([string] $Dir) { Start-StandaloneDaemon $Dir '--sim-xen', (Join-Path $Dir 'sim') }

    # `pwsh -File examples/NAME.ps1 ARGS` in a new pwsh of this same version, with no
    # XENSTORED_PATH of ours and no colours in its output; returns at once.
    function Start-Example([string] $Name, [string[]] $Arguments = @()) {
        $start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        # Under `dotnet pwsh` the process is the dotnet host running pwsh.dll.
        if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
            $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll'))
        }
        foreach ($a in @('-NoProfile', '-NonInteractive', '-File', (Join-Path $ExamplesDir "$Name.ps1")) + $Arguments) {
            $start.ArgumentList.Add($a)
        }
        foreach ($variable in 'XENSTORED_PATH', 'XENSTORED_RUNDIR') { $start.Environment.Remove($variable) | Out-Null }
        $start.Environment['NO_COLOR'] = '1'
        $start.WorkingDirectory = $TestDrive
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        [pscustomobject]@{
            Process = $process
            Stdout  = $process.StandardOutput.ReadToEndAsync()
            Stderr  = $process.StandardError.ReadToEndAsync()
        }
    }

    # Waits for a started example (killing it, and failing, when it runs too long).
    function Wait-Example($Run, [int] $TimeoutSec = 90) {
        if (-not $Run.Process.WaitForExit($TimeoutSec * 1000)) {
            $Run.Process.Kill($true)
            throw "the example did not finish in $TimeoutSec s: $($Run.Stdout.Result)"
        }
        $Run.Process.WaitForExit()
        [pscustomobject]@{
            Id       = $Run.Process.Id
            ExitCode = $Run.Process.ExitCode
            Output   = $Run.Stdout.Result -split "`r?`n"
            Error    = $Run.Stderr.Result
        }
    }

    function Invoke-Example([string] $Name, [string[]] $Arguments = @()) {
        Wait-Example (Start-Example $Name $Arguments)
    }

    # The run directory an example makes when it hosts its own xenstored: gone once it ended.
    function Get-OwnRunDirectory($Run) {
        Join-Path ([IO.Path]::GetTempPath()) "xenstore-example-$($Run.Id)"
    }
}

Describe 'Example scripts' -Tags 'CI' {
    Context 'on their own' {
        It 'navigate-domain.ps1 browses domain 19 from dom0 and from the guest, and releases it' {
            $run = Invoke-Example navigate-domain
            $run.ExitCode | Should -Be 0 -Because $run.Error
            $run.Error | Should -BeNullOrEmpty
            $run.Output | Should -Contain 'location: xs:/local/domain/19'
            $run.Output | Should -Contain 'name: web01'
            $run.Output | Should -Contain 'domid: 19'
            $run.Output | Should -Contain 'permissions of /local/domain/19: n0 r19'
            $run.Output | Should -Contain 'permissions of /local/domain/19/data: n19'
            $run.Output | Should -Contain 'guest reads its name: web01'
            $run.Output | Should -Contain 'guest reading /local/domain/0/name: refused (XenStore.EACCES)'
            $run.Output | Should -Contain 'watch fired: @releaseDomain'
            $run.Output | Should -Contain 'home removed: True'
            $run.Output[-2] | Should -Be 'navigate-domain: OK'
            # The table Get-ChildItem printed: the domain's own directories and their owners.
            $run.Output | Where-Object { $_ -match '^data\s+0\s+n19\s*$' } | Should -HaveCount 1
            Get-OwnRunDirectory $run | Should -Not -Exist
        }

        It 'provision-vm.ps1 provisions, waits for its own stand-in backend, and restores an export' {
            $run = Invoke-Example provision-vm
            $run.ExitCode | Should -Be 0 -Because $run.Error
            $run.Output | Should -Contain 'provisioned in one transaction: 14 nodes'
            $run.Output | Should -Contain '/local/domain/0/backend/vif/19/0/mac = "00:16:3e:5a:01:13" (n0 r19)'
            $run.Output | Should -Contain 'backend: state 2'
            $run.Output | Should -Contain 'backend: state 3'
            $run.Output | Should -Contain 'backend: state 4'
            $run.Output | Where-Object { $_ -like 'backend connected: state 4 after *' } | Should -HaveCount 1
            $run.Output | Where-Object { $_ -match '^imported /vm/[0-9a-f-]{36}: 6 nodes, values and permissions equal$' } | Should -HaveCount 1
            $run.Output[-2] | Should -Be 'provision-vm: OK'
            Get-OwnRunDirectory $run | Should -Not -Exist
        }

        It 'provision-vm.ps1 -NoBackend reports the backend that never connects and exits 2' {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $run = Invoke-Example provision-vm '-NoBackend', '-TimeoutSec', '1'
            $run.ExitCode | Should -Be 2 -Because $run.Error
            $run.Error | Should -BeLike '*did not connect within 1 s (XenStore.WaitTimeout); its state is 1*'
            $run.Output | Should -Not -Contain 'provision-vm: OK'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
            Get-OwnRunDirectory $run | Should -Not -Exist
        }

        It 'watch-events.ps1 sees each change on both subscriptions and the daemon going away' {
            $run = Invoke-Example watch-events
            $run.ExitCode | Should -Be 0 -Because $run.Error
            @($run.Output | Where-Object { $_ -like 'Wait-Event saw: *' }) | Should -Be @(
                'Wait-Event saw: /local/domain/0/backend/vbd/19/51712/state'
                'Wait-Event saw: /local/domain/0/backend/vbd/19/51712/state'
                'Wait-Event saw: /local/domain/0/backend/vbd')
            $run.Output | Should -Contain 'the -Action counted 4 events (3 changes after the watch''s first event)'
            $run.Output | Should -Contain 'xenstored stopped'
            $run.Output | Should -Contain 'Watch-XenStore -Wait stopped: XenStore.ConnectionLost'
            $run.Output | Where-Object { $_ -like 'ConnectionLost event: The connection to the xenstored * is lost*' } | Should -HaveCount 1
            $run.Output | Should -Contain 'watch still armed: False'
            $run.Output[-2] | Should -Be 'watch-events: OK'
            Get-OwnRunDirectory $run | Should -Not -Exist
        }
    }

    Context 'against a standalone xenstored' {
        BeforeEach {
            $Dir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-scen-$PID-$(Get-Random)"
            $Daemon = Start-HostDaemon $Dir
            $Socket = Join-Path $Dir 'socket'
            Connect-XenStore -Name scen -SocketPath $Socket | Out-Null
        }

        AfterEach {
            Disconnect-XenStore -Name scen
            if (-not $Daemon.HasExited) { $Daemon.Kill(); $Daemon.WaitForExit() }
            Remove-Item $Dir -Recurse -Force -ErrorAction Ignore
        }

        It 'navigate-domain.ps1 -RunDirectory uses that xenstored as xs: and leaves domain 7 released' {
            $introduced = Watch-XenStore -Path '@introduceDomain' -Drive scen
            Register-ObjectEvent -InputObject $introduced -EventName Changed -SourceIdentifier scen.introduce | Out-Null
            try {
                Wait-Event -SourceIdentifier scen.introduce -Timeout 10 | Remove-Event    # the watch's first event
                $run = Invoke-Example navigate-domain '-RunDirectory', $Dir, '-DomainId', '7', '-Name', 'db01'
                $run.ExitCode | Should -Be 0 -Because $run.Error
                $run.Output | Should -Contain "xs: is XenStore (socket $Socket)"
                $run.Output | Should -Contain 'name: db01'
                $run.Output | Should -Contain 'permissions of /local/domain/7: n0 r7'
                $run.Output | Should -Contain 'guest listing /local/domain/0: refused (XenStore.EACCES)'
                # The introduction reached this xenstored, and the release undid it.
                Wait-Event -SourceIdentifier scen.introduce -Timeout 10 | Should -Not -BeNullOrEmpty
                Test-Path scen:/local/domain/7 | Should -BeFalse
                $Daemon.HasExited | Should -BeFalse
            }
            finally {
                Unregister-Event -SourceIdentifier scen.introduce
                $introduced.Dispose()
            }
        }

        It 'provision-vm.ps1 -NoBackend waits for a backend in another process' {
            $uuid = [guid]::NewGuid()
            $state = 'scen:/local/domain/0/backend/vif/19/0/state'
            $pending = Start-Example provision-vm '-RunDirectory', $Dir, '-Uuid', "$uuid", '-NoBackend', '-TimeoutSec', '60'
            try {
                # This process plays netback: it waits for the device, then connects it.
                Wait-XenStore $state -Value 1 -TimeoutSec 60 -ErrorAction Stop
                # Everything of the transaction is there as soon as anything is.
                Get-Content scen:/vm/$uuid/name | Should -Be 'web01'
                foreach ($value in 2, 3, 4) {
                    Start-Sleep -Milliseconds 200
                    Set-Content $state -Value $value
                }
            }
            finally {
                $run = Wait-Example $pending
            }
            $run.ExitCode | Should -Be 0 -Because $run.Error
            $run.Output | Where-Object { $_ -like 'backend connected: state 4 after *' } | Should -HaveCount 1
            $run.Output | Should -Contain "imported /vm/${uuid}: 6 nodes, values and permissions equal"
            # What it left in the store, read here.
            Get-Content scen:/vm/$uuid/uuid | Should -Be "$uuid"
            "$(Get-XenStorePermission scen:/vm/$uuid)" | Should -Be 'n0 r19'
            "$(Get-XenStorePermission scen:/vm/$uuid/device/vif/0)" | Should -Be 'n0 r19'
            Get-Content scen:/local/domain/0/backend/vif/19/0/mac | Should -Be '00:16:3e:5a:01:13'
            "$(Get-XenStorePermission scen:/local/domain/0/backend/vif/19/0/frontend)" | Should -Be 'n0 r19'
        }

        It 'watch-events.ps1 -RunDirectory kills that xenstored and notices' {
            $run = Invoke-Example watch-events '-RunDirectory', $Dir
            $run.ExitCode | Should -Be 0 -Because $run.Error
            $run.Output | Should -Contain "xenstored (pid $($Daemon.Id)) killed"
            $run.Output | Should -Contain 'Watch-XenStore -Wait stopped: XenStore.ConnectionLost'
            $run.Output | Should -Contain 'watch still armed: False'
            $Daemon.WaitForExit(10000) | Should -BeTrue
        }

        It 'navigate-domain.ps1 fails clearly where no xenstored answers' {
            $run = Invoke-Example navigate-domain '-RunDirectory', (Join-Path $Dir 'nothing-here')
            $run.ExitCode | Should -Be 1
            $run.Error | Should -BeLike "*navigate-domain: FAILED: no xenstored answers on $(Join-Path $Dir 'nothing-here/socket')*"
        }
    }
}
