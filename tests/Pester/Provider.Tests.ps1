# Pester 5: the xs: drive with the real cmdlets, against a daemon hosted in the session.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
    $RunDir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-$PID"
    Start-XenStoreDaemon -RunDirectory $RunDir | Out-Null
    Connect-XenStore -Name px -SocketPath (Join-Path $RunDir 'socket') | Out-Null
}

AfterAll {
    Disconnect-XenStore -Name px
    Stop-XenStoreDaemon -RunDirectory $RunDir
}

Describe 'The XenStore provider' -Tags 'CI' {
    It 'creates, reads, changes and removes nodes' {
        New-Item px:/pester/a -Value 'hello' | Out-Null
        (Get-Item px:/pester/a).Value | Should -Be 'hello'
        Set-Item px:/pester/a -Value 'world'
        Get-Content px:/pester/a | Should -Be 'world'
        Test-Path px:/pester/a | Should -BeTrue
        Remove-Item px:/pester -Recurse
        Test-Path px:/pester/a | Should -BeFalse
    }

    It 'lists children recursively with depth' {
        New-Item px:/pester/x/b/c -Value '1' -Force | Out-Null
        New-Item px:/pester/x/d -Value '2' -Force | Out-Null
        (Get-ChildItem px:/pester/x -Name) | Should -Be @('b', 'd')
        (Get-ChildItem px:/pester/x -Recurse).Count | Should -Be 3
        (Get-ChildItem px:/pester/x -Recurse -Depth 0).Count | Should -Be 2
    }

    It 'filters, includes and excludes by case-sensitive name' {
        foreach ($n in 'vif0', 'vif1', 'VIF2', 'vbd0') { New-Item "px:/pester/f/$n" -Value '' -Force | Out-Null }
        (Get-ChildItem px:/pester/f -Filter 'vif*' -Name) | Should -Be @('vif0', 'vif1')
        (Get-ChildItem px:/pester/f -Include 'v*' -Exclude 'vbd*').Name | Should -Be @('vif0', 'vif1')
    }

    It 'clears, renames and moves' {
        New-Item px:/pester/m/a -Value 'v' -Force | Out-Null
        Clear-Item px:/pester/m/a
        (Get-Item px:/pester/m/a).Value | Should -Be ''
        Rename-Item px:/pester/m/a -NewName b
        Test-Path px:/pester/m/b | Should -BeTrue
        Move-Item px:/pester/m/b px:/pester/moved
        Test-Path px:/pester/moved | Should -BeTrue
        Test-Path px:/pester/m/b | Should -BeFalse
    }

    It 'moves around with cd and relative paths' {
        New-Item px:/pester/loc/inner -Value 'in' -Force | Out-Null
        Push-Location px:/pester/loc
        (Get-Item inner).Value | Should -Be 'in'
        Set-Location ..
        (Get-Location).Path | Should -Be 'px:/pester'
        Pop-Location
    }

    It 'names errors after the XenStore error' {
        { Get-Item px:/pester/missing -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
    }

    It 'stops with XenStore.Timeout when the xenstored does not answer' {
        $socketPath = Join-Path $RunDir 'silent.socket'
        $silent = [Net.Sockets.Socket]::new('Unix', 'Stream', 'Unspecified')
        try {
            $silent.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($socketPath))
            $silent.Listen()
            Connect-XenStore -Name silent -SocketPath $socketPath -TimeoutSec 1 | Out-Null
            { Get-Item silent:/local/domain/0/name -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.Timeout*'
        }
        finally {
            Disconnect-XenStore -Name silent -ErrorAction Ignore
            $silent.Dispose()
        }
    }

    It 'groups changes in a transaction' {
        Start-XenStoreTransaction -Drive px | Out-Null
        Set-Item px:/pester/tx -Value 'inside'
        Complete-XenStoreTransaction -Drive px
        (Get-Item px:/pester/tx).Value | Should -Be 'inside'
    }

    It 'raises watch events through Register-ObjectEvent' {
        New-Item px:/pester/w -Value '' -Force | Out-Null
        $watcher = Watch-XenStore -Path px:/pester/w
        Register-ObjectEvent -InputObject $watcher -EventName Changed -SourceIdentifier pester-watch | Out-Null
        try {
            $first = Wait-Event -SourceIdentifier pester-watch -Timeout 10
            $first.SourceEventArgs.Path | Should -Be '/pester/w'
            Remove-Event -SourceIdentifier pester-watch
            Set-Item px:/pester/w -Value 'changed'
            $next = Wait-Event -SourceIdentifier pester-watch -Timeout 10
            $next.SourceEventArgs.Path | Should -Be '/pester/w'
        }
        finally {
            Unregister-Event -SourceIdentifier pester-watch
            $watcher.Dispose()
        }
    }
}
