# Pester 5: the module across hosts, through OpenSSH. Two sshd servers on this machine (SshHosts.psm1)
# stand for hosts h1 and h2, each with a standalone daemon of its own and pwsh as its powershell
# subsystem with the module installed. PowerShell remoting to them (Invoke-Command, sessions, events
# forwarded back), Connect-XenStore -HostName (a host's store as a local drive through an ssh
# link), and the README's fleet example. Tagged 'peers' (it needs openssh-server); with CI=true it
# fails, never skips, when sshd is missing.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'SshHosts.psm1') -Force
    $SkipSsh = $env:CI -ne 'true' -and -not (Test-SshHostAvailable)
}

BeforeAll {
    $ProjectRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force -WarningAction Ignore
    Import-Module (Join-Path $PSScriptRoot 'SshHosts.psm1') -Force

    # The ssh processes this session runs (the links of -HostName drives): each is the child of
    # a watchdog shell that is this session's child.
    function Get-SshChild { @(Get-Process ssh -ErrorAction Ignore | Where-Object { $_.Parent.Parent.Id -eq $PID }) }
    # The private directories of ssh links' local sockets: none may be left behind.
    function Get-TunnelDirectory { @(Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'xsps-ssh-*' -Directory -ErrorAction Ignore) }
    function Get-SshPidOf([string] $Drive) {
        [int]((Get-PSDrive $Drive).Client.Description -replace '^.*\(ssh pid (\d+)\).*$', '$1')
    }
    # The Connect-XenStore command line that makes the drive of $Connection (a host's splat), for a fresh pwsh.
    function Format-ConnectCommand([hashtable] $Connection) {
        $named = ($Connection.GetEnumerator() | Where-Object Key -ne Options | ForEach-Object { "-$($_.Key) '$($_.Value)'" }) -join ' '
        $options = '@{ ' + (($Connection.Options.GetEnumerator() | ForEach-Object { "$($_.Key) = '$($_.Value)'" }) -join '; ') + ' }'
        "Connect-XenStore $named -Options $options"
    }
    # Runs $Code in a fresh pwsh with the module imported; its output lines.
    function Invoke-FreshPwsh([string] $Code) {
        $manifest = Join-Path $ProjectRoot 'XenStore.psd1'
        & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest' -WarningAction Ignore; $Code" 2>&1 | ForEach-Object { "$_" }
    }
}

Describe 'Many hosts through OpenSSH' -Tags 'CI', 'peers' -Skip:$SkipSsh {
    BeforeAll {
        if (-not (Test-SshHostAvailable)) { throw 'openssh-server is not installed (scripts/install-test-peers.sh installs it)' }
        $Fixture = $null
        $Fixture = Start-SshHostFixture -Names h1, h2 -State ([ref] $Fixture)
        $H1 = Get-SshHostConnection $Fixture h1
        $H2 = Get-SshHostConnection $Fixture h2
        # Each host's store, directly on its daemon's socket: what the hosts hold, to set up and to check.
        Connect-XenStore -Name d1 -SocketPath (Join-Path ($Fixture.Hosts | Where-Object Name -eq h1).RunDir 'socket') | Out-Null
        Connect-XenStore -Name d2 -SocketPath (Join-Path ($Fixture.Hosts | Where-Object Name -eq h2).RunDir 'socket') | Out-Null
        foreach ($d in @{ drive = 'd1'; domains = @{ 19 = 'web01', '4'; 20 = 'db01', '2' } }, @{ drive = 'd2'; domains = @{ 31 = 'mail01', '6' } }) {
            foreach ($domid in $d.domains.Keys) {
                $name, $state = $d.domains[$domid]
                New-Item "$($d.drive):/local/domain/$domid/name" -Value $name -Force | Out-Null
                New-Item "$($d.drive):/local/domain/0/backend/vif/$domid/0/state" -Value $state -Force | Out-Null
            }
        }
    }

    AfterAll {
        Get-PSSession | Remove-PSSession
        'd1', 'd2', 'h1', 'h2', 'bad' | ForEach-Object { Disconnect-XenStore $_ -ErrorAction Ignore }
        Get-EventSubscriber | Where-Object SourceIdentifier -match '^(xs|ssh)\.' | Unregister-Event
        Get-Event | Where-Object SourceIdentifier -match '^(xs|ssh)\.' | Remove-Event
        Stop-SshHostFixture $Fixture
    }

    Context 'PowerShell remoting' {
        BeforeAll {
            # One session per host; Invoke-Command runs on them in parallel, as on -HostName h1, h2.
            $Sessions = @(New-PSSession @H1; New-PSSession @H2)
        }
        AfterAll { $Sessions | Remove-PSSession }

        It 'Invoke-Command on both hosts: each lists its own domains, tagged with PSComputerName' {
            # Each host has its own port and ssh options here, so one -HostName h1, h2 cannot name both.
            $names = foreach ($h in $H1, $H2) { Invoke-Command @h { Get-ChildItem xs:/local/domain -Name } }
            $byHost = $names | Group-Object PSComputerName -AsHashTable -AsString
            @($byHost['h1'] | Sort-Object) | Should -Be @('0', '19', '20')
            @($byHost['h2'] | Sort-Object) | Should -Be @('0', '31')
        }

        It 'items come back deserialized with their path, value, permissions, owner and host, and compare locally' {
            $items = Invoke-Command -Session $Sessions { Get-Item xs:/local/domain/0/name }
            $items | Should -HaveCount 2
            foreach ($item in $items) {
                $item.pstypenames | Should -Contain 'Deserialized.XenStore.PowerShell.XenStoreItem'
                $item.FullName | Should -Be '/local/domain/0/name'
                $item.Value | Should -Be 'Domain-0'
                $item.Permissions | Should -Be 'n0'
                $item.Owner | Should -Be 0
                $item.PSPath | Should -Be 'XenStore\XenStore::/local/domain/0/name'
            }
            @($items.PSComputerName | Sort-Object) | Should -Be @('h1', 'h2')
            Compare-Object $items[0] $items[1] -Property FullName, Value, Permissions | Should -BeNullOrEmpty
            # They show here as they do there: the table per parent of the module's format file.
            ($items | Out-String) | Should -Match 'Path: /local/domain/0'
            $states = Invoke-Command -Session $Sessions { Get-ChildItem xs:/local/domain/0/backend/vif -Recurse | Where-Object Name -eq state }
            ($states | Group-Object Value | Sort-Object Name).Name | Should -Be @('2', '4', '6')
        }

        It 'a session keeps its location: cd xs:/local/domain/19, then relative paths' {
            $s = New-PSSession @H1
            try {
                Invoke-Command $s { Set-Location xs:/local/domain/19 }
                $where, $name = Invoke-Command $s { (Get-Location).Path; (Get-Item name).Value }
                $where | Should -Be 'xs:/local/domain/19'
                $name | Should -Be 'web01'
            }
            finally { Remove-PSSession $s }
        }

        It 'a watch event raised on a host reaches this session (Register-ObjectEvent -Forward): @releaseDomain' {
            $s = New-PSSession @H2
            try {
                Invoke-Command $s {
                    $w = Watch-XenStore -Path '@releaseDomain'
                    Register-ObjectEvent -InputObject $w -EventName Changed -SourceIdentifier xs.release -Forward | Out-Null
                }
                # A watch fires once when it is set.
                $initial = Wait-Event -SourceIdentifier xs.release -Timeout 30
                $initial | Should -Not -BeNullOrEmpty
                $initial.ComputerName | Should -Be 'h2'
                $initial | Remove-Event
                Invoke-Command $s { New-XenStoreDomain 7 -Name guest7 -Introduce | Out-Null; Remove-XenStoreDomain 7 -Confirm:$false }
                $released = Wait-Event -SourceIdentifier xs.release -Timeout 30
                $released | Should -Not -BeNullOrEmpty
                $released.SourceEventArgs.SerializedRemoteEventArgs.Path | Should -Be '@releaseDomain'
                $released | Remove-Event
            }
            finally {
                Remove-PSSession $s
                Unregister-Event xs.release -ErrorAction Ignore
            }
        }

        It 'finds, on every host in parallel, each domain whose vif backend is not in state 4, with the host name' {
            $readme = Get-Content (Join-Path $ProjectRoot 'README.md') -Raw
            $section = ($readme -split '(?m)^## ')| Where-Object { $_ -like 'Many hosts*' }
            $section | Should -HaveCount 1
            $block = [regex]::Matches($section, '(?s)```powershell\n(.*?)```') | ForEach-Object { $_.Groups[1].Value } |
                Where-Object { $_ -match '-ThrottleLimit' }
            $block | Should -HaveCount 1
            # about_XenStore shows the same example (indented by eight spaces there).
            $about = Get-Content (Join-Path $ProjectRoot 'en-US/about_XenStore.help.txt')
            $start = [array]::IndexOf($about, "        `$hosts = 'h1', 'h2'")
            $start | Should -BeGreaterOrEqual 0
            $aboutBlock = ($about[$start..($about.Count - 1)] |
                Select-Object -First ($block.TrimEnd().Split("`n").Count)) -replace '^ {8}', ''
            ($aboutBlock -join "`n") | Should -Be $block.TrimEnd()
            # The hosts of this machine are reached through ssh options rather than names in an ssh
            # configuration: the same command on sessions opened with those options.
            $code = $block -replace '-HostName \$hosts', '-Session $Sessions'
            $code | Should -Not -Be $block
            $found = & ([scriptblock]::Create($code))
            $found | Should -HaveCount 2
            $db = $found | Where-Object PSComputerName -eq h1
            $db.Domain | Should -Be 20
            $db.Name | Should -Be 'db01'
            $db.State | Should -Be '2'
            $mail = $found | Where-Object PSComputerName -eq h2
            $mail.Domain | Should -Be 31
            $mail.Name | Should -Be 'mail01'
            $mail.State | Should -Be '6'
        }
    }

    Context 'Connect-XenStore -HostName' {
        AfterEach {
            Get-PSDrive -PSProvider XenStore | Where-Object Name -in 'h1', 'h2', 'bad' | ForEach-Object { Disconnect-XenStore $_.Name -ErrorAction Ignore }
        }

        It 'mounts a host''s store as a drive named after it: read, write, through one ssh process' {
            $drive = Connect-XenStore @H1
            $drive.Name | Should -Be 'h1'
            $drive.Description | Should -BeLike "XenStore (ssh $($Fixture.UserName)@h1:*)"
            @(Get-ChildItem h1:/local/domain -Name | Sort-Object) | Should -Be @('0', '19', '20')
            New-Item h1:/vm/remote/name -Value written-over-ssh -Force | Out-Null
            (Get-Item d1:/vm/remote/name).Value | Should -Be 'written-over-ssh'
            Get-SshChild | Where-Object Id -eq (Get-SshPidOf h1) | Should -HaveCount 1
        }

        It 'watches: an event for a change made on the host arrives' {
            Connect-XenStore @H1 | Out-Null
            New-Item d1:/vm/watched -Value 0 -Force | Out-Null
            $w = Watch-XenStore -Path h1:/vm/watched
            Register-ObjectEvent -InputObject $w -EventName Changed -SourceIdentifier ssh.changed | Out-Null
            try {
                Wait-Event -SourceIdentifier ssh.changed -Timeout 20 | Should -Not -BeNullOrEmpty
                Get-Event -SourceIdentifier ssh.changed | Remove-Event
                Set-Content d1:/vm/watched 1
                $e = Wait-Event -SourceIdentifier ssh.changed -Timeout 20
                $e.SourceEventArgs.Path | Should -Be '/vm/watched'
            }
            finally {
                Unregister-Event ssh.changed
                Get-Event -SourceIdentifier ssh.changed -ErrorAction Ignore | Remove-Event
                $w.Dispose()
            }
        }

        It 'runs a transaction on the host: nothing shows until it completes' {
            Connect-XenStore @H2 | Out-Null
            Start-XenStoreTransaction h2 | Out-Null
            New-Item h2:/vm/tx/a -Value 1 -Force | Out-Null
            Test-Path d2:/vm/tx/a | Should -BeFalse
            Complete-XenStoreTransaction h2
            (Get-Item d2:/vm/tx/a).Value | Should -Be '1'
        }

        It 'a link that drops is XenStore.ConnectionLost; the drive reconnects once the host is back' {
            Connect-XenStore @H1 | Out-Null
            $firstSsh = Get-SshPidOf h1
            $w = Watch-XenStore -Path h1:/local/domain/0
            Register-ObjectEvent -InputObject $w -EventName ConnectionLost -SourceIdentifier ssh.lost | Out-Null
            $h = $Fixture.Hosts | Where-Object Name -eq h1
            try {
                # The host's sshd goes, with every session it serves: the link drops under the drive.
                Stop-SshHostServer $h
                $lost = Wait-Event -SourceIdentifier ssh.lost -Timeout 20
                $lost | Should -Not -BeNullOrEmpty
                $lost.SourceEventArgs.Exception.Message | Should -BeLike '*ssh*'
                Get-Process -Id $firstSsh -ErrorAction Ignore | Should -BeNullOrEmpty
                $thrown = { Get-Item h1:/local/domain/0/name } | Should -Throw -PassThru
                $thrown.FullyQualifiedErrorId | Should -BeLike 'XenStore.ConnectionLost*'
                $thrown.CategoryInfo.Category | Should -Be 'ConnectionError'
                $thrown.Exception.Message | Should -BeLike '*could not be reopened*h1*'
                Start-SshHostServer $Fixture $h
                (Get-Item h1:/local/domain/0/name).Value | Should -Be 'Domain-0'
                Get-SshPidOf h1 | Should -Not -Be $firstSsh
            }
            finally {
                Unregister-Event ssh.lost -ErrorAction Ignore
                Get-Event -SourceIdentifier ssh.lost -ErrorAction Ignore | Remove-Event
                $w.Dispose()
                if ($h.Process.HasExited) { Start-SshHostServer $Fixture $h }
            }
        }

        It 'a refused login is XenStore.SshLoginRefused with the host as target, at once' {
            $p = Get-SshHostConnection $Fixture h1
            $p.KeyFilePath = $Fixture.StrangerKey
            $elapsed = Measure-Command {
                $thrown = { Connect-XenStore -Name bad @p } | Should -Throw -PassThru
                $thrown.FullyQualifiedErrorId | Should -BeLike 'XenStore.SshLoginRefused*'
                $thrown.CategoryInfo.Category | Should -Be 'AuthenticationError'
                $thrown.TargetObject | Should -Be 'h1'
                $thrown.Exception.Message | Should -BeLike '*Permission denied*'
            }
            $elapsed.TotalSeconds | Should -BeLessThan 15
            Get-PSDrive bad -ErrorAction Ignore | Should -BeNullOrEmpty
        }

        It 'an unknown host key is XenStore.SshHostKeyUnknown, never a prompt' {
            $p = Get-SshHostConnection $Fixture h1
            $p.Options.HostKeyAlias = 'h9'
            $thrown = { Connect-XenStore -Name bad @p } | Should -Throw -PassThru
            $thrown.FullyQualifiedErrorId | Should -BeLike 'XenStore.SshHostKeyUnknown*'
            $thrown.CategoryInfo.Category | Should -Be 'SecurityError'
        }

        It 'no xenstored on the host is XenStore.RemoteDaemonUnavailable naming the socket' {
            $missing = Join-Path $Fixture.Directory 'no-daemon/socket'
            $thrown = { Connect-XenStore -Name bad @H1 -SocketPath $missing } | Should -Throw -PassThru
            $thrown.FullyQualifiedErrorId | Should -BeLike 'XenStore.RemoteDaemonUnavailable*'
            $thrown.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $thrown.TargetObject | Should -Be 'h1'
            $thrown.Exception.Message | Should -BeLike "*$missing*"
            Get-PSDrive bad -ErrorAction Ignore | Should -BeNullOrEmpty
        }

        It 'the ssh process ends with the drive: Disconnect-XenStore, Remove-PSDrive, a refused connect' {
            $before = @(Get-SshChild).Count
            $tunnels = (Get-TunnelDirectory).Count
            Connect-XenStore @H1 | Out-Null
            $ssh = Get-SshPidOf h1
            Disconnect-XenStore h1
            Get-Process -Id $ssh -ErrorAction Ignore | Should -BeNullOrEmpty
            Connect-XenStore @H2 | Out-Null
            $ssh = Get-SshPidOf h2
            Remove-PSDrive h2
            Get-Process -Id $ssh -ErrorAction Ignore | Should -BeNullOrEmpty
            { Connect-XenStore -Name bad @H1 -SocketPath /nonexistent/socket } | Should -Throw
            @(Get-SshChild).Count | Should -Be $before
            (Get-TunnelDirectory).Count | Should -Be $tunnels
        }

        It 'the ssh process ends with a session that is killed (kill -9), and its directory with it' {
            $tunnels = (Get-TunnelDirectory).Count
            $connect = Format-ConnectCommand $H1
            $killed = Invoke-FreshPwsh "$connect | Out-Null; [Console]::WriteLine(((Get-PSDrive h1).Client.Description -replace '^.*\(ssh pid (\d+)\).*$', 'ssh=`$1')); [Console]::Out.Flush(); [Diagnostics.Process]::GetCurrentProcess().Kill()"
            $line = $killed | Where-Object { $_ -like 'ssh=*' }
            $line | Should -HaveCount 1
            $ssh = [int]$line.Substring(4)
            $deadline = (Get-Date).AddSeconds(10)
            while ((Get-Process -Id $ssh -ErrorAction Ignore) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Get-Process -Id $ssh -ErrorAction Ignore | Should -BeNullOrEmpty
            (Get-TunnelDirectory).Count | Should -Be $tunnels
        }

        It 'the ssh process ends with the module and with the session' {
            $tunnels = (Get-TunnelDirectory).Count
            $connect = Format-ConnectCommand $H1
            $removed = Invoke-FreshPwsh "$connect | Out-Null; `$ssh = [int]((Get-PSDrive h1).Client.Description -replace '^.*\(ssh pid (\d+)\).*$', '`$1'); Remove-Module XenStore; Start-Sleep -Milliseconds 200; 'gone=' + (`$null -eq (Get-Process -Id `$ssh -ErrorAction Ignore))"
            $removed | Should -Contain 'gone=True'
            $exited = Invoke-FreshPwsh "$connect | Out-Null; (Get-PSDrive h1).Client.Description -replace '^.*\(ssh pid (\d+)\).*$', 'ssh=`$1'"
            $line = $exited | Where-Object { $_ -like 'ssh=*' }
            $line | Should -HaveCount 1
            Get-Process -Id ([int]$line.Substring(4)) -ErrorAction Ignore | Should -BeNullOrEmpty
            (Get-TunnelDirectory).Count | Should -Be $tunnels
        }
    }

}
