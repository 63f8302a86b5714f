# Pester 5: the automation cmdlets (Wait-XenStore, Export-/Import-XenStore, Set-XenStorePermission -Recurse)
# against a daemon hosted in the session.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $Manifest = Join-Path $ProjectRoot 'XenStore.psd1'
    Import-Module $Manifest -Force
    $RunDir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-auto-$PID"
    $Socket = Join-Path $RunDir 'socket'
    Start-XenStoreDaemon -RunDirectory $RunDir | Out-Null
    Connect-XenStore -Name pa -SocketPath $Socket | Out-Null

    # Each node of a subtree as "path [value] perms", read through the provider.
    function Get-Snapshot([string] $Path) {
        Get-ChildItem $Path -Recurse | ForEach-Object { '{0} [{1}] {2}' -f $_.FullName, $_.Value, ($_.Permissions -replace ' ', ',') }
    }
}

AfterAll {
    Disconnect-XenStore -Name pa
    Stop-XenStoreDaemon -RunDirectory $RunDir
    Remove-Item $RunDir -Recurse -Force -ErrorAction Ignore
}

Describe 'Wait-XenStore' -Tags 'CI' {
    It 'returns once another connection sets a backend state to 4' {
        New-Item pa:/auto/backend/vbd/5/51712/state -Value 1 -Force | Out-Null
        $writer = Start-ThreadJob {
            Import-Module $using:Manifest -WarningAction Ignore
            Connect-XenStore -Name other -SocketPath $using:Socket | Out-Null
            Start-Sleep -Milliseconds 300
            Set-Item other:/auto/backend/vbd/5/51712/state -Value 2
            Start-Sleep -Milliseconds 300
            Set-Item other:/auto/backend/vbd/5/51712/state -Value 4
        }
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $item = Wait-XenStore pa:/auto/backend/vbd/5/51712/state -Value 4 -TimeoutSec 30 -PassThru
            $item.Value | Should -Be '4'
            $clock.Elapsed.TotalMilliseconds | Should -BeGreaterThan 500
        }
        finally {
            $writer | Wait-Job | Remove-Job
        }
    }

    It 'waits for a condition on the item and its value' {
        New-Item pa:/auto/count -Value 12 -Force | Out-Null
        $met = Wait-XenStore pa:/auto/count -Condition { $_.Name -eq 'count' -and [int]$args[0] -gt 10 } -TimeoutSec 5 -PassThru
        $met.FullName | Should -Be '/auto/count'
    }

    It 'gives a non-terminating XenStore.WaitTimeout when time runs out' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $after = & { Wait-XenStore pa:/auto/never -TimeoutSec 1 -ErrorVariable script:late -ErrorAction SilentlyContinue; 'went on' }
        $after | Should -Be 'went on'
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
        $late[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.WaitTimeout*'
        $late[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $late[0].TargetObject | Should -Be '/auto/never'
    }

    It 'takes items piped from its own drive and expands wildcards there' {
        New-Item pa:/auto/piped/a -Value 1 -Force | Out-Null
        New-Item pa:/auto/piped/b -Value 2 -Force | Out-Null
        (Get-ChildItem pa:/auto/piped | Wait-XenStore -TimeoutSec 5 -PassThru).FullName | Should -Be @('/auto/piped/a', '/auto/piped/b')
        (Wait-XenStore pa:/auto/piped/* -TimeoutSec 5 -PassThru).Count | Should -Be 2
    }
}

Describe 'Export-XenStore and Import-XenStore' -Tags 'CI' {
    BeforeEach {
        Remove-Item pa:/auto/vm -Recurse -ErrorAction Ignore
        New-Item pa:/auto/vm/name -Value 'web01' -Force | Out-Null
        New-Item pa:/auto/vm/device/vif/0/mac -Value '00:16:3e:00:00:01' -Force | Out-Null
        New-Item pa:/auto/vm/odd -Value "tab`tquote`"back\slash" -Force | Out-Null
        Set-XenStorePermission pa:/auto/vm/name -Permission n0, r5
        Set-XenStorePermission pa:/auto/vm/device -Permission n0, r7 -Recurse
    }

    It 'brings back a removed subtree with its values and permissions (<Format>)' -TestCases @(
        @{ Format = 'Json' }, @{ Format = 'XenstoreLs' }
    ) {
        $before = Get-Snapshot pa:/auto/vm
        $before | Should -Contain '/auto/vm/device/vif/0/mac [00:16:3e:00:00:01] n0,r7'
        $file = Join-Path $RunDir "vm.$Format"
        Export-XenStore pa:/auto/vm -Format $Format -OutFile $file
        Remove-Item pa:/auto/vm -Recurse
        Test-Path pa:/auto/vm | Should -BeFalse
        # The export holds XenStore paths only: -Drive says which store they go back to.
        Import-XenStore -InputFile $file -Format $Format -Drive pa
        Get-Snapshot pa:/auto/vm | Should -Be $before
    }

    It 'pipes an export into an import at another place' {
        Export-XenStore pa:/auto/vm | Import-XenStore -Destination pa:/auto/copy
        (Get-Snapshot pa:/auto/copy) -replace '^/auto/copy', '/auto/vm' | Should -Be (Get-Snapshot pa:/auto/vm)
    }

    It 'writes nothing under -WhatIf' {
        Export-XenStore pa:/auto/vm | Import-XenStore -Destination pa:/auto/ghost -WhatIf
        Test-Path pa:/auto/ghost | Should -BeFalse
    }

    It 'writes nothing when a node of the import fails' {
        { '/auto/half = ""   (n0)', '/auto/half/ok = "1"   (n0)', '/auto/half/bad name = "2"   (n0)' | Import-XenStore -ErrorAction Stop } |
            Should -Throw -ErrorId 'XenStore.EINVAL*'
        Test-Path pa:/auto/half | Should -BeFalse
    }

    It 'refuses input that is not an export' {
        { 'just words' | Import-XenStore } | Should -Throw -ErrorId 'XenStore.EINVAL*'
    }
}

Describe 'Set-XenStorePermission -Recurse' -Tags 'CI' {
    It 'gives every node of the subtree the same permissions, and nothing under -WhatIf' {
        New-Item pa:/auto/chmod/a/b -Value 1 -Force | Out-Null
        New-Item pa:/auto/chmod/c -Value 2 -Force | Out-Null
        Set-XenStorePermission pa:/auto/chmod -Permission n0, b3 -Recurse -WhatIf
        (Get-ChildItem pa:/auto/chmod -Recurse | Get-XenStorePermission).ForEach({ "$_" }) | Should -Be @('n0', 'n0', 'n0')
        Set-XenStorePermission pa:/auto/chmod -Permission n0, b3 -Recurse
        (Get-ChildItem pa:/auto/chmod -Recurse | Get-XenStorePermission).ForEach({ "$_" }) | Should -Be @('n0 b3', 'n0 b3', 'n0 b3')
        "$(Get-XenStorePermission pa:/auto/chmod)" | Should -Be 'n0 b3'
    }
}
