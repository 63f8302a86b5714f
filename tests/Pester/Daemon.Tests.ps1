# Pester 5: daemons and drives over restarts, a mistyped XENSTORED_PATH, a guest's one ring.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
    # The standalone daemon (src/Daemon), as built by ./build.sh or dotnet build.
    Import-Module (Join-Path $PSScriptRoot 'StandaloneDaemon.psm1') -Force
    $HostDll = Get-StandaloneDaemonPath  # for the tests that run it in the foreground

    function Start-HostDaemon([string] $Dir) { Start-StandaloneDaemon $Dir }

    function New-RunDirectory([string] $Tag) {
        Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-$Tag-$PID-$(Get-Random)"
    }
}

Describe 'One daemon per run directory' -Tags 'CI' {
    It 'refuses a second Start-XenStoreDaemon and the standalone host where one serves' {
        $dir = New-RunDirectory 'twice'
        Start-XenStoreDaemon -RunDirectory $dir | Out-Null
        try {
            { Start-XenStoreDaemon -RunDirectory "$dir/." } | Should -Throw -ErrorId 'XenStore.DaemonRunning*'
            $output = & dotnet $HostDll --rundir $dir 2>&1
            $LASTEXITCODE | Should -Not -Be 0
            "$output" | Should -BeLike "*xenstored already running (pid $PID)*"
        }
        finally {
            Stop-XenStoreDaemon -RunDirectory $dir
            Remove-Item $dir -Recurse -Force -ErrorAction Ignore
        }
    }

    It 'refuses Start-XenStoreDaemon where the standalone host serves, and takes over after it died' {
        $dir = New-RunDirectory 'host'
        $daemon = Start-HostDaemon $dir
        try {
            $failure = $null
            try { Start-XenStoreDaemon -RunDirectory $dir } catch { $failure = $_ }
            $failure.FullyQualifiedErrorId | Should -BeLike 'XenStore.DaemonRunning*'
            $failure.Exception.Message | Should -BeLike "*xenstored already running (pid $($daemon.Id))*"
            $daemon.Kill()
            $daemon.WaitForExit()
            Start-XenStoreDaemon -RunDirectory $dir | Out-Null
            Stop-XenStoreDaemon -RunDirectory $dir
        }
        finally {
            if (-not $daemon.HasExited) { $daemon.Kill() }
            Remove-Item $dir -Recurse -Force -ErrorAction Ignore
        }
    }
}

Describe 'Drives over a daemon restart' -Tags 'CI' {
    It 'reconnects by itself and is replaced only with -Force' {
        $dir = New-RunDirectory 'restart'
        $daemon = Start-HostDaemon $dir
        try {
            Connect-XenStore -Name rs -SocketPath (Join-Path $dir 'socket') | Out-Null
            $daemon.Kill()
            $daemon.WaitForExit()
            # While nothing serves, the one reconnect fails and says why.
            { Get-Item rs:/local/domain/0/name -ErrorAction Stop } | Should -Throw -ExpectedMessage '*could not be reopened*connection refused*'
            $daemon = Start-HostDaemon $dir
            (Get-Item rs:/local/domain/0/name).Value | Should -Be 'Domain-0'
            { Connect-XenStore -Name rs -SocketPath (Join-Path $dir 'socket') } | Should -Throw -ErrorId 'XenStore.DriveExists*'
            Connect-XenStore -Name rs -SocketPath (Join-Path $dir 'socket') -Root /local/domain/0 -Force | Out-Null
            (Get-Item rs:/name).Value | Should -Be 'Domain-0'
        }
        finally {
            Disconnect-XenStore -Name rs -ErrorAction Ignore
            if (-not $daemon.HasExited) { $daemon.Kill() }
            Remove-Item $dir -Recurse -Force -ErrorAction Ignore
        }
    }
}

Describe 'A mistyped XENSTORED_PATH' -Tags 'CI' {
    It 'mounts no xs: drive, warns naming the path, and Connect-XenStore stops naming it' {
        $mistyped = Join-Path (New-RunDirectory 'cfg') 'sockte'
        $saved = $env:XENSTORED_PATH
        $env:XENSTORED_PATH = $mistyped
        # A fresh session imports the module as a user's would, with the variable set.
        $ps = [powershell]::Create()
        try {
            $ps.AddScript("Import-Module '$(Join-Path $ProjectRoot 'XenStore.psd1')'; Get-PSDrive -PSProvider XenStore").Invoke() | Should -BeNullOrEmpty
            "$($ps.Streams.Warning)" | Should -BeLike "*XENSTORED_PATH names $mistyped*no such file*"
            $ps.Commands.Clear()
            $ps.Streams.Error.Clear()
            $ps.AddScript('try { Connect-XenStore -Name xs } catch { $_ }').Invoke() | ForEach-Object {
                $_.FullyQualifiedErrorId | Should -BeLike 'XenStore.ConnectFailed*'
                $_.Exception.Message | Should -BeLike "*$mistyped*no such file*"
            }
        }
        finally {
            $ps.Dispose()
            $env:XENSTORED_PATH = $saved
        }
    }
}

Describe 'A guest ring' -Tags 'CI' {
    It 'is connected once in a session' {
        $dir = New-RunDirectory 'ring'
        $sim = Join-Path $dir 'sim'
        Start-XenStoreDaemon -RunDirectory $dir -SimXen $sim | Out-Null
        try {
            Connect-XenStore -Name g5 -Ring -SimXen $sim -DomainId 5 | Out-Null
            $failure = $null
            try { Connect-XenStore -Name g5b -Ring -SimXen $sim -DomainId 5 } catch { $failure = $_ }
            $failure.FullyQualifiedErrorId | Should -BeLike 'XenStore.RingInUse*'
            $failure.Exception.Message | Should -BeLike "*domain 5's ring is already connected in this session (drive g5)*"
            Get-PSDrive g5b -ErrorAction Ignore | Should -BeNullOrEmpty
        }
        finally {
            Disconnect-XenStore -Name g5 -ErrorAction Ignore
            Stop-XenStoreDaemon -RunDirectory $dir
            Remove-Item $dir -Recurse -Force -ErrorAction Ignore
        }
    }
}
