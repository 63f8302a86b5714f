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

Describe 'Watch-XenStore takes paths as the other path cmdlets do' -Tags 'CI' {
    BeforeAll {
        Connect-XenStore -Name wm -Embedded | Out-Null
        Connect-XenStore -Name x -Embedded | Out-Null
    }

    AfterAll {
        Set-Location $PSScriptRoot
        Disconnect-XenStore -Name wm -ErrorAction Ignore
        Disconnect-XenStore -Name x -ErrorAction Ignore
    }

    BeforeEach {
        Remove-Item wm:/many -Recurse -ErrorAction Ignore
        foreach ($n in 'a', 'b', 'other') { New-Item "wm:/many/$n" -Value $n -Force | Out-Null }
    }

    It 'writes a watcher for each node a wildcard matches' {
        $watchers = Watch-XenStore -Path 'wm:/many/[ab]'
        $watchers | Should -HaveCount 2
        $watchers | ForEach-Object { $_ | Should -BeOfType ([XenStore.PowerShell.XenStoreWatcher]) }
        $watchers.Path | Should -Be @('/many/a', '/many/b')
        $watchers.Drive | Should -Be @('wm', 'wm')
        # The wildcards are the provider's: case-sensitive.
        Watch-XenStore -Path 'wm:/many/[A-Z]*' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It '-Wait over a wildcard sees the events of every match' {
        $client = (Get-PSDrive wm).Client
        # Written again and again until the watches have seen them: on a busy machine the watches
        # may be registered only after a first write.
        $done = [hashtable]::Synchronized(@{ Stop = $false })
        $writer = Start-ThreadJob {
            for ($i = 0; $i -lt 100 -and -not ($using:done).Stop; $i++) {
                Start-Sleep -Milliseconds 150
                foreach ($n in 'a', 'b') { ($using:client).WriteAsync("/many/$n/child", "$i").GetAwaiter().GetResult() }
            }
        }
        try {
            $events = Watch-XenStore -Path 'wm:/many/[ab]' -Wait -SkipInitial -Count 6 -Timeout 15
        }
        finally {
            $done.Stop = $true
            $writer | Wait-Job | Receive-Job
            $writer | Remove-Job
        }
        $events | Should -HaveCount 6
        $events.Path | Should -Contain '/many/a/child'
        $events.Path | Should -Contain '/many/b/child'
        @($events.Token | Sort-Object -Unique) | Should -HaveCount 2
        # Everything was unwatched on the way out.
        $client.Watches.Count | Should -Be 0
    }

    It 'watches items piped from another drive on that drive' {
        Remove-Item x:/piped -Recurse -ErrorAction Ignore
        foreach ($n in 'a', 'b') { New-Item "x:/piped/$n" -Value 1 -Force | Out-Null }
        Set-Location wm:/
        $watchers = Get-ChildItem x:/piped | Watch-XenStore
        $watchers.Drive | Should -Be @('x', 'x')
        $watchers.Path | Should -Be @('/piped/a', '/piped/b')
        # -Wait: changes on x: reach one stream for both items, so both watches are on x:'s connection at once.
        $client = (Get-PSDrive x).Client
        $done = [hashtable]::Synchronized(@{ Stop = $false })
        $writer = Start-ThreadJob {
            for ($i = 0; $i -lt 100 -and -not ($using:done).Stop; $i++) {
                Start-Sleep -Milliseconds 150
                foreach ($n in 'a', 'b') { ($using:client).WriteAsync("/piped/$n", "$i").GetAwaiter().GetResult() }
            }
        }
        try {
            $events = Get-ChildItem x:/piped | Watch-XenStore -Wait -SkipInitial -Count 4 -Timeout 15
        }
        finally {
            $done.Stop = $true
            $writer | Wait-Job | Receive-Job
            $writer | Remove-Job
        }
        $events | Should -HaveCount 4
        $events.Path | Should -Contain '/piped/a'
        $events.Path | Should -Contain '/piped/b'
        $client.Watches.Count | Should -Be 0
        (Get-PSDrive wm).Client.Watches.Count | Should -Be 0
    }

    It 'says XenStore.ENOENT of a wildcard that matches nothing' {
        Watch-XenStore -Path 'wm:/many/z*' -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing | Should -HaveCount 1
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.ENOENT*'
        $missing[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        # With -Wait too, at once: there is nothing to wait on.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Watch-XenStore -Path 'wm:/many/z*' -Wait -Timeout 10 -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.ENOENT*'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
    }
}
