# Pester 5: paths and pipelines as a PowerShell user meets them. Items piped from the xs: drive
# must act on their node, never on a local file of the same name; drives may be rooted below /;
# paths show their root.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
    $RunDir = Join-Path ([IO.Path]::GetTempPath()) "xsps-paths-$PID"
    Start-XenStoreDaemon -RunDirectory $RunDir | Out-Null
    Connect-XenStore -Name pp -SocketPath (Join-Path $RunDir 'socket') | Out-Null
    # A local directory laid out like the store: a pipeline that falls back to the file system
    # would find these files under the nodes' names.
    $LocalTwin = Join-Path ([IO.Path]::GetTempPath()) "xsps-twin-$PID"
}

AfterAll {
    Disconnect-XenStore -Name pp -ErrorAction Ignore
    Stop-XenStoreDaemon -RunDirectory $RunDir -ErrorAction Ignore
    Remove-Item $RunDir, $LocalTwin -Recurse -Force -ErrorAction Ignore
}

Describe 'Items piped into the core cmdlets act on their node' -Tags 'CI' {
    BeforeEach {
        Remove-Item pp:/pipe -Recurse -ErrorAction Ignore
        foreach ($n in 'a', 'b') { New-Item "pp:/pipe/$n" -Value "value-$n" -Force | Out-Null }
        New-Item -ItemType Directory "$LocalTwin/pipe" -Force | Out-Null
        'local a' | Set-Content "$LocalTwin/pipe/a"
        Push-Location $LocalTwin
    }
    AfterEach { Pop-Location }

    It 'carries a PSPath that resolves back to the node, and no Path property' {
        $item = Get-Item pp:/pipe/a
        $item.PSObject.Properties.Name | Should -Not -Contain 'Path'
        $item.FullName | Should -Be '/pipe/a'
        (Get-Item -LiteralPath $item.PSPath).Value | Should -Be 'value-a'
        Resolve-Path -LiteralPath $item.PSPath | ForEach-Object Provider | ForEach-Object Name | Should -Be 'XenStore'
    }

    It 'Remove-Item removes the nodes, not local files' {
        Get-ChildItem pp:/pipe | Remove-Item
        Get-ChildItem pp:/pipe -Name | Should -BeNullOrEmpty
        Get-Content "$LocalTwin/pipe/a" | Should -Be 'local a'
    }

    It 'Get-Content, Set-Content, Test-Path and Get-ItemProperty follow the items' {
        Get-ChildItem pp:/pipe | Get-Content | Should -Be @('value-a', 'value-b')
        Get-Item pp:/pipe/a | Set-Content -Value 'changed'
        (Get-Item pp:/pipe/a).Value | Should -Be 'changed'
        Get-ChildItem pp:/pipe | Test-Path | Should -Be @($true, $true)
        (Get-Item pp:/pipe/b | Get-ItemProperty).Value | Should -Be 'value-b'
        Get-Content "$LocalTwin/pipe/a" | Should -Be 'local a'
    }

    It 'Copy-Item and Rename-Item follow the items' {
        Get-Item pp:/pipe/a | Copy-Item -Destination pp:/pipe/copy
        Get-Item pp:/pipe/copy | Rename-Item -NewName renamed
        Get-ChildItem pp:/pipe -Name | Should -Be @('a', 'b', 'renamed')
        (Get-Item pp:/pipe/renamed).Value | Should -Be 'value-a'
        Test-Path "$LocalTwin/pipe/renamed" | Should -BeFalse
    }

    It 'Get-XenStorePermission follows the items' {
        (Get-Item pp:/pipe/a | Get-XenStorePermission).Owner | Should -Be 0
    }
}

Describe 'Drives rooted below /' -Tags 'CI' {
    BeforeAll {
        New-PSDrive d0 -PSProvider XenStore -Root /local/domain/0 | Out-Null
        Connect-XenStore -Name pd0 -SocketPath (Join-Path $RunDir 'socket') -Root /local/domain/0 | Out-Null
    }
    AfterAll {
        Remove-PSDrive d0 -ErrorAction Ignore
        Disconnect-XenStore -Name pd0 -ErrorAction Ignore
    }

    It 'lists, tests and enters the root of <Name>:' -TestCases @(@{ Name = 'd0' }, @{ Name = 'pd0' }) {
        Get-ChildItem "${Name}:/" -Name | Should -Contain 'name'
        Test-Path "${Name}:/" | Should -BeTrue
        Push-Location "${Name}:/"
        try {
            (Get-Location).Path | Should -Be "${Name}:/"
            (Get-Item name).Value | Should -Not -BeNullOrEmpty
            Set-Location ..
            (Get-Location).Path | Should -Be "${Name}:/"
        }
        finally { Pop-Location }
    }

    It 'shows the XenStore path of the root' {
        (Get-PSDrive d0).Root | Should -Be '/local/domain/0'
        Convert-Path d0:/name | Should -Be '/local/domain/0/name'
    }
}

Describe 'Paths show their root' -Tags 'CI' {
    It 'as Get-PSDrive and Convert-Path give them' {
        (Get-PSDrive pp).Root | Should -Match '/$'
        Convert-Path pp:/local/domain/0 | Should -Match '/local/domain/0$'
        Convert-Path xs:/local/domain/0 | Should -Be '/local/domain/0'
        Convert-Path xs:/ | Should -Be '/'
        (Get-PSDrive xs).Root | Should -Be '/'
    }
}

Describe 'Names are case-sensitive' -Tags 'CI' {
    BeforeAll {
        foreach ($n in 'vif0', 'vif1', 'VIF2', 'vbd0') { New-Item "pp:/case/$n" -Value '' -Force | Out-Null }
    }

    It '-Filter, -Include and wildcards match case' {
        (Get-ChildItem pp:/case -Include 'v*').Name | Should -Be @('vif0', 'vif1', 'vbd0')
        Get-ChildItem pp:/case -Include 'v*' -Name | Should -Be @('vif0', 'vif1', 'vbd0')
        (Get-ChildItem pp:/case -Filter 'V*').Name | Should -Be @('VIF2')
        (Get-Item pp:/case/V*).Name | Should -Be @('VIF2')
        (Get-Item pp:/case/v*).Name | Should -Be @('vif0', 'vif1', 'vbd0')
        Test-Path pp:/case/Vif0 | Should -BeFalse
    }
}

Describe 'Module autoloading' -Tags 'CI' {
    It 'loads a module on first use while the location is in xs:' {
        # A fresh pwsh of this version, so that the module is really autoloaded.
        $pwsh = [Environment]::ProcessPath
        $arguments = @()
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $arguments += Join-Path $PSHOME 'pwsh.dll' }
        $manifest = Join-Path $ProjectRoot 'XenStore.psd1'
        $arguments += '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$manifest' 3>`$null; Set-Location xs:/local; Start-ThreadJob { 40 + 2 } | Receive-Job -Wait -AutoRemoveJob"
        $output = & $pwsh @arguments 2>&1
        $LASTEXITCODE | Should -Be 0
        ($output | Out-String).Trim() | Should -Be '42'
    }
}

Describe 'Content' -Tags 'CI' {
    It 'round-trips bytes with -AsByteStream' {
        Set-Content pp:/bytes -Value ([byte[]](0, 1, 2, 255)) -AsByteStream
        $read = Get-Content pp:/bytes -AsByteStream
        $read.Count | Should -Be 4
        $read | Should -Be @(0, 1, 2, 255)
    }

    It 'Set-Content writes the value once: a watcher sees one event, never a momentary empty value' -Tag 'peers' {
        New-Item pp:/once -Value 'before' -Force | Out-Null
        $env:XENSTORED_PATH = Join-Path $RunDir 'socket'
        $watch = Start-Process xenstore-watch -ArgumentList '-n', '3', '/once' -RedirectStandardOutput "$RunDir/once.out" -PassThru
        try {
            # The first event fires when the watch is registered.
            $deadline = (Get-Date).AddSeconds(10)
            while (-not (Test-Path "$RunDir/once.out") -or -not (Get-Content "$RunDir/once.out")) {
                if ((Get-Date) -gt $deadline) { throw 'xenstore-watch did not start' }
                Start-Sleep -Milliseconds 50
            }
            Set-Content pp:/once -Value 'after'
            New-Item pp:/once/sentinel -Value '' | Out-Null
            $watch.WaitForExit(10000) | Should -BeTrue
            Get-Content "$RunDir/once.out" | Should -Be @('/once', '/once', '/once/sentinel')
        }
        finally {
            if (-not $watch.HasExited) { $watch.Kill() }
            Remove-Item Env:XENSTORED_PATH
        }
        (Get-Item pp:/once).Value | Should -Be 'after'
    }

    It 'Add-Content appends a line' {
        Set-Content pp:/lines -Value 'one'
        Add-Content pp:/lines -Value 'two'
        (Get-Item pp:/lines).Value | Should -Be "one`ntwo"
    }
}
