# Pester 5: every failure is one ErrorRecord named after what went wrong (XenStore.<ERRNO>,
# XenStore.ConnectionLost, XenStore.Timeout), with a category and a target, terminating only
# where a PowerShell user expects it.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
    $RunDir = Join-Path ([IO.Path]::GetTempPath()) "xsps-errors-$PID"
    Start-XenStoreDaemon -RunDirectory $RunDir | Out-Null
    Connect-XenStore -Name pe -SocketPath (Join-Path $RunDir 'socket') | Out-Null
}

AfterAll {
    Disconnect-XenStore -Name pe -ErrorAction Ignore
    Stop-XenStoreDaemon -RunDirectory $RunDir -ErrorAction Ignore
    Remove-Item $RunDir -Recurse -Force -ErrorAction Ignore
}

Describe 'XenStore errors' -Tags 'CI' {
    It 'a missing node is one XenStore.ENOENT record, ObjectNotFound, with the path as target' {
        Get-Item pe:/errors/missing -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.ENOENT*'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -Be '/errors/missing'
    }

    It 'Get-Content and Clear-Content of a missing node are one XenStore.ENOENT each, with no output and nothing made' {
        $out = Get-Content pe:/errors/absent -ErrorAction SilentlyContinue -ErrorVariable failures
        $out | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.ENOENT*'
        Clear-Content pe:/errors/absent -ErrorAction SilentlyContinue -ErrorVariable cleared
        $cleared.Count | Should -Be 1
        Test-Path pe:/errors/absent | Should -BeFalse
    }

    It 'Set-Content of a bad name is one non-terminating XenStore.EINVAL record' {
        Set-Content 'pe:/errors/bad name' -Value x -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.EINVAL*'
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'a name with a dot (a file name, never a node name) is one XenStore.EINVAL record' {
        New-Item pe:/errors/file.txt -Value x -ErrorAction SilentlyContinue -ErrorVariable failures | Out-Null
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.EINVAL*'
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'an owner that is no domain is named as such, not as a missing path' {
        New-Item pe:/errors/owned -Value '' -Force | Out-Null
        # Ids from DOMID_FIRST_RESERVED (32752) up are never domains.
        Set-ItemProperty pe:/errors/owned -Name Owner -Value 32767 -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].Exception.Message | Should -Match 'domain'
        $failures[0].Exception.Message | Should -Not -Match 'does not exist'
    }

    It 'New-Item of an existing node is one XenStore.EEXIST record' {
        New-Item pe:/errors/there -Value '1' -Force | Out-Null
        New-Item pe:/errors/there -Value '2' -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.EEXIST*'
        (Get-Item pe:/errors/there).Value | Should -Be '1'
    }
}

Describe 'Drives' -Tags 'CI' {
    It 'Disconnect-XenStore of a drive that is not there is a non-terminating XenStore.DriveNotFound' {
        { Disconnect-XenStore -Name nosuch -ErrorAction Ignore } | Should -Not -Throw
        Disconnect-XenStore -Name nosuch -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.DriveNotFound*'
    }
}

Describe 'A xenstored that is gone' -Tags 'CI' {
    BeforeAll {
        $DeadDir = Join-Path ([IO.Path]::GetTempPath()) "xsps-dead-$PID"
        Start-XenStoreDaemon -RunDirectory $DeadDir | Out-Null
        Connect-XenStore -Name dead -SocketPath (Join-Path $DeadDir 'socket') | Out-Null
        New-Item dead:/here -Value 'x' | Out-Null
        Stop-XenStoreDaemon -RunDirectory $DeadDir
    }
    AfterAll {
        Disconnect-XenStore -Name dead -ErrorAction Ignore
        Remove-Item $DeadDir -Recurse -Force -ErrorAction Ignore
    }

    It 'stops Get-Item with XenStore.ConnectionLost (ConnectionError), not "cannot find path"' {
        $thrown = { Get-Item dead:/here -ErrorAction SilentlyContinue } | Should -Throw -PassThru
        $thrown.FullyQualifiedErrorId | Should -BeLike 'XenStore.ConnectionLost*'
        $thrown.CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'does not answer Test-Path with a silent False' {
        { Test-Path dead:/here -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ConnectionLost*'
        Test-Path dead:/here -ErrorAction SilentlyContinue -ErrorVariable failures | Out-Null
        $failures.Count | Should -Be 1
    }

    It 'leaves the location where it was when cd fails' {
        $before = (Get-Location).Path
        { Set-Location dead:/here } | Should -Throw -ErrorId 'XenStore.ConnectionLost*'
        (Get-Location).Path | Should -Be $before
    }
}
