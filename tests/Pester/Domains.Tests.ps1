# Pester 5: a domain set up as a toolstack does it, against a daemon with the simulated hypervisor,
# read by the guest on its own ring.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
    $RunDir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-dom-$PID"
    $SimDir = Join-Path $RunDir 'sim'
    Start-XenStoreDaemon -RunDirectory $RunDir -SimXen $SimDir | Out-Null
    Connect-XenStore -Name pd -SocketPath (Join-Path $RunDir 'socket') | Out-Null
}

AfterAll {
    Disconnect-XenStore -Name g19 -ErrorAction Ignore
    Disconnect-XenStore -Name pd
    Stop-XenStoreDaemon -RunDirectory $RunDir
    Remove-Item $RunDir -Recurse -Force -ErrorAction Ignore
}

Describe 'New-XenStoreDomain and Remove-XenStoreDomain' -Tags 'CI' {
    It 'introduces domain 19, whose guest reads its own nodes' {
        # The simulated guest makes its ring page, so it connects before it is introduced.
        Connect-XenStore -Name g19 -Ring -SimXen $SimDir -DomainId 19 | Out-Null
        $domain = New-XenStoreDomain -DomainId 19 -Name web01 -Introduce -Drive pd
        $domain.Introduced | Should -BeTrue
        "$(Get-XenStorePermission pd:/local/domain/19)" | Should -Be 'n0 r19'
        "$(Get-XenStorePermission pd:/local/domain/19/data)" | Should -Be 'n19'
        "$(Get-XenStorePermission pd:/local/domain/19/control/shutdown)" | Should -Be 'n19'
        Get-Content pd:$($domain.VmPath)/name | Should -Be 'web01'

        Push-Location g19:/local/domain/19
        try {
            Get-Content name | Should -Be 'web01'
            Get-Content domid | Should -Be '19'
            Get-ChildItem -Name | Should -Contain 'data'
            New-Item data/booted -Value 1 | Out-Null
            { Set-Item name -Value renamed -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EACCES*'
        }
        finally {
            Pop-Location
        }
    }

    It 'releases domain 19 with @releaseDomain and removes its nodes' {
        $vm = Get-Content pd:/local/domain/19/vm
        $watcher = Watch-XenStore -Path '@releaseDomain' -Drive pd
        Register-ObjectEvent -InputObject $watcher -EventName Changed -SourceIdentifier xsps-release | Out-Null
        try {
            Wait-Event -SourceIdentifier xsps-release -Timeout 10 | Remove-Event    # the watch's first event
            Remove-XenStoreDomain -DomainId 19 -Drive pd
            $released = Wait-Event -SourceIdentifier xsps-release -Timeout 10
            $released.SourceEventArgs.Path | Should -Be '@releaseDomain'
        }
        finally {
            Unregister-Event -SourceIdentifier xsps-release
            $watcher.Dispose()
        }
        Test-Path pd:/local/domain/19 | Should -BeFalse
        Test-Path pd:$vm | Should -BeFalse
        { Remove-XenStoreDomain 19 -Drive pd -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
    }

    It 'gives nodes to a domain not yet introduced, as a toolstack does before INTRODUCE' {
        # The simulated hypervisor counts every domain as existing until it is destroyed.
        $domain = New-XenStoreDomain 28 -Name early -Drive pd
        $domain.Introduced | Should -BeFalse
        "$(Get-XenStorePermission pd:/local/domain/28/data)" | Should -Be 'n28'
        Remove-XenStoreDomain 28 -Drive pd
        Test-Path pd:/local/domain/28 | Should -BeFalse
    }

    It 'refuses to give nodes to a domain that does not exist, and an existing home without -Force' {
        (Get-PSDrive pd).Client.ControlAsync('sim-destroy', '27').GetAwaiter().GetResult() | Out-Null
        { New-XenStoreDomain 27 -Drive pd -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
        Test-Path pd:/local/domain/27 | Should -BeFalse
        # Its guest starts again: introduced, it exists again.
        Connect-XenStore -Name g27 -Ring -SimXen $SimDir -DomainId 27 | Out-Null
        try {
            New-XenStoreDomain 27 -Name one -Introduce -Drive pd | Out-Null
            { New-XenStoreDomain 27 -Name two -Drive pd -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EEXIST*'
            New-XenStoreDomain 27 -Name two -Drive pd -Force | Out-Null
            Get-Content pd:/local/domain/27/name | Should -Be 'two'
            New-XenStoreDomain 27 -Drive pd -Force | Remove-XenStoreDomain -WhatIf
            Test-Path pd:/local/domain/27 | Should -BeTrue
        }
        finally {
            Remove-XenStoreDomain 27 -Drive pd -ErrorAction Ignore
            Disconnect-XenStore -Name g27
        }
    }
}

Describe 'Start-XenStoreDaemon -StrictDomains' -Tags 'CI' {
    It 'lets only dom0 and introduced domains own nodes' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-strict-$PID"
        Start-XenStoreDaemon -RunDirectory $dir -StrictDomains | Out-Null
        try {
            Connect-XenStore -Name strict -SocketPath (Join-Path $dir 'socket') | Out-Null
            { New-XenStoreDomain 29 -Drive strict -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
            Test-Path strict:/local/domain/29 | Should -BeFalse
        }
        finally {
            Disconnect-XenStore -Name strict -ErrorAction Ignore
            Stop-XenStoreDaemon -RunDirectory $dir
            Remove-Item $dir -Recurse -Force -ErrorAction Ignore
        }
    }
}
