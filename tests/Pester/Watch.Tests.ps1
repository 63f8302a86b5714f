# Pester 5: watches whose daemon dies under them, and how Watch-XenStore -Wait ends.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'StandaloneDaemon.psm1') -Force

    # The standalone daemon (src/Daemon) in its own process, so that a test can kill it.
    function Start-HostDaemon([string] $Dir) { Start-StandaloneDaemon $Dir }
}

Describe 'A watch whose daemon dies' -Tags 'CI' {
    BeforeEach {
        $Dir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-watch-$PID-$(Get-Random)"
        $Daemon = Start-HostDaemon $Dir
        Connect-XenStore -Name wx -SocketPath (Join-Path $Dir 'socket') | Out-Null
    }

    AfterEach {
        Disconnect-XenStore -Name wx -ErrorAction Ignore
        if (-not $Daemon.HasExited) { $Daemon.Kill() }
        Remove-Item $Dir -Recurse -Force -ErrorAction Ignore
    }

    It 'stops Watch-XenStore -Wait with XenStore.ConnectionLost' {
        # Killed from outside while -Wait holds the pipeline.
        Start-Process /bin/sh -ArgumentList "-c `"sleep 2; kill -9 $($Daemon.Id)`"" | Out-Null
        $clock = [Diagnostics.Stopwatch]::StartNew()
        { Watch-XenStore -Path wx:/local -Wait -Timeout 60 | Out-Null } | Should -Throw -ErrorId 'XenStore.ConnectionLost*'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'raises ConnectionLost for Register-ObjectEvent and ends the watch' {
        $watcher = Watch-XenStore -Path wx:/local
        Register-ObjectEvent -InputObject $watcher -EventName ConnectionLost -SourceIdentifier pester-lost | Out-Null
        try {
            $watcher.EnableRaisingEvents | Should -BeTrue
            $Daemon.Kill()
            $lost = Wait-Event -SourceIdentifier pester-lost -Timeout 15
            $lost | Should -Not -BeNullOrEmpty
            $lost.SourceEventArgs.Exception | Should -BeOfType ([XenStore.Client.XenStoreConnectionException])
            $watcher.EnableRaisingEvents | Should -BeFalse
        }
        finally {
            Unregister-Event -SourceIdentifier pester-lost -ErrorAction Ignore
            $watcher.Dispose()
        }
    }
}

Describe 'How Watch-XenStore -Wait ends' -Tags 'CI' {
    BeforeAll {
        $Dir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-wait-$PID"
        Start-XenStoreDaemon -RunDirectory $Dir | Out-Null
        Connect-XenStore -Name ww -SocketPath (Join-Path $Dir 'socket') | Out-Null
    }

    AfterAll {
        Disconnect-XenStore -Name ww
        Stop-XenStoreDaemon -RunDirectory $Dir
    }

    It 'writes XenStore.WatchTimeout when -Timeout comes before -Count' {
        $events = Watch-XenStore -Path ww:/local -Wait -Count 2 -Timeout 1 -ErrorVariable timedOut -ErrorAction SilentlyContinue
        @($events).Count | Should -Be 1
        $timedOut[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.WatchTimeout*'
        $timedOut[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }

    It 'ends silently on its -Count, or on a -Timeout without -Count' {
        Watch-XenStore -Path ww:/local -Wait -Count 1 -Timeout 10 -ErrorVariable none | Should -HaveCount 1
        $none | Should -BeNullOrEmpty
        Watch-XenStore -Path ww:/local -Wait -Timeout 1 -ErrorVariable none | Should -HaveCount 1
        $none | Should -BeNullOrEmpty
    }
}
