# Pester 5: one set of provider and cmdlet tests, run on every backend a drive can have: the daemon
# embedded in the session, our daemon as a process of its own, Xen's cxenstored (through the
# shared anchor), and a guest's ring on the simulated hypervisor. Where a backend answers
# differently, each test asserts that backend's own answer. Backends.psm1 starts and stops them.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'Backends.psm1') -Force
    $Backends = Get-XenStoreBackend
}

BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $Manifest = Join-Path $ProjectRoot 'XenStore.psd1'
    Import-Module $Manifest -Force 3>$null
    Import-Module (Join-Path $PSScriptRoot 'Backends.psm1') -Force
}

# One Describe per backend, so that cxenstored, one of the real peers, can carry the 'peers' tag
# (run.ps1 -ExcludeTag peers leaves it out).
foreach ($Case in $Backends) {
    $Tags = if ($Case.Backend -eq 'cxenstored') { 'CI', 'peers' } else { 'CI' }
    Describe 'Provider and cmdlets on the <Backend> backend' -ForEach @($Case) -Tags $Tags {
        BeforeAll {
            if ($Skip) { return }
            $started = $null
            try {
                $B = Start-XenStoreBackend -Backend $Backend -State ([ref] $started)
            }
            catch {
                # Half-started: undo it here, as AfterAll would not know what was started.
                try { Stop-XenStoreBackend $started } catch { }
                throw
            }
            $R = "b:$($B.Root)"                      # the scratch root, as a drive path
            $Owner = $B.DomainId                     # who owns what this drive creates
            $Ring = $Backend -eq 'ring'
            $Client = (Get-PSDrive b).Client         # the drive's own connection, for writes from another thread
            $Clock = [Diagnostics.Stopwatch]::StartNew()
        }

        AfterAll {
            if ($Skip) { return }
            Stop-XenStoreBackend $B
            Write-Host "backend $Backend`: $([int]$Clock.Elapsed.TotalMilliseconds) ms"
        }

        # Cxenstored may be missing only outside CI (see Get-XenStoreBackend); then its tests are skipped.
        Context 'the drive' -Skip:$Skip {
            It 'Get-Item gives FullName, Name, Value, Permissions, Owner, ChildCount and a PSPath of the drive' {
                New-Item "$R/item/leaf" -Value 'hello' -Force | Out-Null
                $item = Get-Item "$R/item/leaf"
                $item.FullName | Should -Be "$($B.Root)/item/leaf"
                $item.Name | Should -Be 'leaf'
                $item.Value | Should -Be 'hello'
                $item.Permissions | Should -Be "n$Owner"
                $item.Owner | Should -Be $Owner
                $item.ChildCount | Should -Be 0
                $item.PSObject.Properties.Name | Should -Not -Contain 'Path'
                $item.PSPath | Should -Be "XenStore\XenStore:://b$($B.Root)/item/leaf"
                (Get-Item "$R/item").ChildCount | Should -Be 1
                (Get-Item -LiteralPath $item.PSPath).Value | Should -Be 'hello'
                { Get-Item "$R/item/missing" -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
            }

            It 'Test-Path tells nodes that are there from those that are not' {
                New-Item "$R/test/here" -Value '' -Force | Out-Null
                Test-Path "$R/test/here" | Should -BeTrue
                Test-Path "$R/test/gone" | Should -BeFalse
                Test-Path "$R/test/h*" | Should -BeTrue
                Test-Path "$R/test/Here" | Should -BeFalse
            }

            It 'New-Item makes a node with -Value, refuses an existing one, and -Force makes parents and overwrites' {
                New-Item "$R/new" -Value '' -Force | Out-Null
                New-Item "$R/new/a" -Value 'one' | Out-Null
                (Get-Item "$R/new/a").Value | Should -Be 'one'
                { New-Item "$R/new/a" -Value 'two' -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EEXIST*'
                (Get-Item "$R/new/a").Value | Should -Be 'one'
                New-Item "$R/new/a" -Value 'two' -Force | Out-Null
                (Get-Item "$R/new/a").Value | Should -Be 'two'
                New-Item "$R/new/deep/er/est" -Value 'x' -Force | Out-Null
                (Get-Item "$R/new/deep/er/est").Value | Should -Be 'x'
                (Get-Item "$R/new/deep/er").Value | Should -Be ''
            }

            It 'Get-ChildItem lists with -Name, -Recurse, -Depth, -Filter, -Include, -Exclude and wildcards' {
                foreach ($n in 'vif0', 'vif1', 'VIF2', 'vbd0') { New-Item "$R/ls/$n" -Value $n -Force | Out-Null }
                New-Item "$R/ls/vif0/mac/addr" -Value 'aa' -Force | Out-Null
                Get-ChildItem "$R/ls" -Name | Should -Be @('vif0', 'vif1', 'VIF2', 'vbd0')
                (Get-ChildItem "$R/ls").FullName | Should -Be @('vif0', 'vif1', 'VIF2', 'vbd0' | ForEach-Object { "$($B.Root)/ls/$_" })
                (Get-ChildItem "$R/ls" -Recurse).Count | Should -Be 6
                (Get-ChildItem "$R/ls" -Recurse -Depth 0).Count | Should -Be 4
                (Get-ChildItem "$R/ls" -Recurse -Depth 1).Count | Should -Be 5
                Get-ChildItem "$R/ls" -Recurse -Name | Should -Contain 'vif0/mac/addr'
                Get-ChildItem "$R/ls" -Filter 'vif*' -Name | Should -Be @('vif0', 'vif1')
                (Get-ChildItem "$R/ls" -Recurse -Filter 'a*').FullName | Should -Be @("$($B.Root)/ls/vif0/mac/addr")
                (Get-ChildItem "$R/ls" -Include 'v*' -Exclude 'vbd*').Name | Should -Be @('vif0', 'vif1')
                (Get-ChildItem "$R/ls/V*").Name | Should -Be @('VIF2')
                (Get-Item "$R/ls/vif?").Name | Should -Be @('vif0', 'vif1')
                # As in the file system, a wildcard path names the items it matches, not their children.
                (Get-ChildItem "$R/ls/*/mac").FullName | Should -Be @("$($B.Root)/ls/vif0/mac")
                (Get-ChildItem "$R/ls/vif0/mac").Name | Should -Be @('addr')
            }

            It 'Set-Item changes the value and Clear-Item empties it' {
                New-Item "$R/set/a" -Value 'before' -Force | Out-Null
                Set-Item "$R/set/a" -Value 'after'
                (Get-Item "$R/set/a").Value | Should -Be 'after'
                Clear-Item "$R/set/a"
                (Get-Item "$R/set/a").Value | Should -Be ''
                Test-Path "$R/set/a" | Should -BeTrue
            }

            It 'Remove-Item removes a node, and a subtree with -Recurse' {
                New-Item "$R/rm/leaf" -Value 'x' -Force | Out-Null
                New-Item "$R/rm/tree/a/b" -Value 'x' -Force | Out-Null
                Remove-Item "$R/rm/leaf"
                Test-Path "$R/rm/leaf" | Should -BeFalse
                Remove-Item "$R/rm/tree" -Recurse
                Test-Path "$R/rm/tree" | Should -BeFalse
                { Remove-Item "$R/rm/never" -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
            }

            It 'Copy-Item copies a node, and a subtree with -Recurse' {
                New-Item "$R/cp/src/a/b" -Value 'deep' -Force | Out-Null
                Set-Item "$R/cp/src" -Value 'top'
                Copy-Item "$R/cp/src" "$R/cp/flat"
                (Get-Item "$R/cp/flat").Value | Should -Be 'top'
                Copy-Item "$R/cp/src" "$R/cp/whole" -Recurse
                (Get-Item "$R/cp/whole/a/b").Value | Should -Be 'deep'
                (Get-Item "$R/cp/src/a/b").Value | Should -Be 'deep'
            }

            It 'Move-Item and Rename-Item move a subtree' {
                New-Item "$R/mv/a/child" -Value 'c' -Force | Out-Null
                Rename-Item "$R/mv/a" -NewName b
                Test-Path "$R/mv/a" | Should -BeFalse
                (Get-Item "$R/mv/b/child").Value | Should -Be 'c'
                Move-Item "$R/mv/b" "$R/moved"
                Test-Path "$R/mv/b" | Should -BeFalse
                (Get-Item "$R/moved/child").Value | Should -Be 'c'
            }

            It 'Get-Content, Set-Content and Add-Content read and write values, as text and with -AsByteStream' {
                Set-Content "$R/content/text" -Value 'one'
                Get-Content "$R/content/text" | Should -Be 'one'
                Add-Content "$R/content/text" -Value 'two'
                (Get-Item "$R/content/text").Value | Should -Be "one`ntwo"
                # A value is read as one string, whatever newlines it holds.
                Get-Content "$R/content/text" | Should -Be "one`ntwo"
                Set-Content "$R/content/bytes" -Value ([byte[]](0, 1, 2, 255)) -AsByteStream
                $read = Get-Content "$R/content/bytes" -AsByteStream
                $read | Should -Be @(0, 1, 2, 255)
                Add-Content "$R/content/bytes" -Value ([byte[]](7, 128)) -AsByteStream
                Get-Content "$R/content/bytes" -AsByteStream | Should -Be @(0, 1, 2, 255, 7, 128)
                Set-Content "$R/content/text" -Value 'ünï'
                Get-Content "$R/content/text" -AsByteStream | Should -Be ([Text.Encoding]::UTF8.GetBytes('ünï'))
            }

            It 'Get-ItemProperty, Set-ItemProperty and Clear-ItemProperty handle Value and Permissions' {
                New-Item "$R/prop" -Value 'v' -Force | Out-Null
                $all = Get-ItemProperty "$R/prop"
                $all.Value | Should -Be 'v'
                $all.Permissions | Should -Be "n$Owner"
                $all.Owner | Should -Be $Owner
                (Get-ItemProperty "$R/prop" -Name Value).PSObject.Properties.Name | Should -Not -Contain 'Owner'
                Set-ItemProperty "$R/prop" -Name Value -Value 'w'
                Get-ItemPropertyValue "$R/prop" -Name Value | Should -Be 'w'
                Set-ItemProperty "$R/prop" -Name Permissions -Value "n$Owner r0"
                (Get-Item "$R/prop").Permissions | Should -Be "n$Owner r0"
                Set-ItemProperty "$R/prop" -Name Permissions -Value "n$Owner", 'b0'
                (Get-Item "$R/prop").Permissions | Should -Be "n$Owner b0"
                Clear-ItemProperty "$R/prop" -Name Value
                (Get-Item "$R/prop").Value | Should -Be ''
                { Clear-ItemProperty "$R/prop" -Name Owner -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.CannotClear*'
                { Set-ItemProperty "$R/prop" -Name Colour -Value red -ErrorAction Stop } | Should -Throw
            }

            It 'Set-ItemProperty Owner gives the node to its own domain, and to another as the backend allows' {
                New-Item "$R/own" -Value '' -Force | Out-Null
                Set-ItemProperty "$R/own" -Name Owner -Value $Owner
                (Get-Item "$R/own").Owner | Should -Be $Owner
                if ($Ring) {
                    # A guest may not give its node away (C's EPERM for an unprivileged owner change).
                    { Set-ItemProperty "$R/own" -Name Owner -Value 0 -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EPERM*'
                    (Get-Item "$R/own").Owner | Should -Be $Owner
                    # Dom0 may: it gives the node to dom0, leaving the guest read access, and the guest sees the change.
                    Set-ItemProperty "b0:$($B.Root)/own" -Name Permissions -Value "n0 r$Owner"
                    (Get-Item "$R/own").Owner | Should -Be 0
                    { Set-Item "$R/own" -Value 'mine' -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EACCES*'
                    Set-ItemProperty "b0:$($B.Root)/own" -Name Permissions -Value 'n0'
                    { Get-Item "$R/own" -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EACCES*'
                    Remove-Item "b0:$($B.Root)/own"
                }
                else {
                    # Dom0 may name any domain that exists, introduced or not (domain 7 never is), as a
                    # toolstack does before INTRODUCE; ids from 32752 up are no domains: ENOENT.
                    Set-ItemProperty "$R/own" -Name Owner -Value 7
                    (Get-Item "$R/own").Owner | Should -Be 7
                    { Set-ItemProperty "$R/own" -Name Owner -Value 32767 -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
                    (Get-Item "$R/own").Owner | Should -Be 7
                }
            }

            It 'Set-Location and Push-Location take relative paths and ..; Resolve-Path and Convert-Path name the node' {
                New-Item "$R/loc/inner/leaf" -Value 'in' -Force | Out-Null
                Push-Location "$R/loc"
                try {
                    (Get-Location).Path | Should -Be "$R/loc"
                    (Get-Item inner/leaf).Value | Should -Be 'in'
                    Set-Location inner
                    (Get-Item ./leaf).Value | Should -Be 'in'
                    (Get-Item ../inner/leaf).Value | Should -Be 'in'
                    Set-Location ..
                    (Get-Location).Path | Should -Be "$R/loc"
                    Set-Location ../loc/inner
                    (Get-Location).Path | Should -Be "$R/loc/inner"
                    (Resolve-Path leaf).Path | Should -Be "$R/loc/inner/leaf"
                    (Resolve-Path ../*).Path | Should -Be @("$R/loc/inner")
                    Convert-Path leaf | Should -Be "//b$($B.Root)/loc/inner/leaf"
                    Convert-Path "$R/loc" | Should -Be "//b$($B.Root)/loc"
                    Push-Location ..
                    (Get-Location).Path | Should -Be "$R/loc"
                    Pop-Location
                    (Get-Location).Path | Should -Be "$R/loc/inner"
                    { Set-Location nowhere -ErrorAction Stop } | Should -Throw
                    (Get-Location).Path | Should -Be "$R/loc/inner"
                }
                finally {
                    Pop-Location
                }
            }

            It 'items piped into Remove-Item, Get-Content and Copy-Item act on their nodes' {
                foreach ($n in 'a', 'b') { New-Item "$R/pipe/$n" -Value "value-$n" -Force | Out-Null }
                Get-ChildItem "$R/pipe" | Get-Content | Should -Be @('value-a', 'value-b')
                Get-Item "$R/pipe/a" | Copy-Item -Destination "$R/pipe/copy"
                (Get-Item "$R/pipe/copy").Value | Should -Be 'value-a'
                Get-ChildItem "$R/pipe" | Where-Object Name -ne 'copy' | Remove-Item
                Get-ChildItem "$R/pipe" -Name | Should -Be @('copy')
            }
        }

        # What the file system (and every core provider) answers, the drive must answer too.
        Context 'as the file system answers' -Skip:$Skip {
            It 'Get-ChildItem -Recurse -Include matches names at every depth' {
                New-Item "$R/inc/a/vif/c" -Value '' -Force | Out-Null
                New-Item "$R/inc/vifx" -Value '' -Force | Out-Null
                (Get-ChildItem "$R/inc" -Recurse -Include 'vif*').FullName | Sort-Object |
                    Should -Be @("$($B.Root)/inc/a/vif", "$($B.Root)/inc/vifx")
                Get-ChildItem "$R/inc" -Recurse -Include 'c' -Name | Should -Be @('a/vif/c')
            }

            It 'Get-ChildItem -Recurse -Exclude leaves out names at every depth, and still descends below them' {
                New-Item "$R/exc/a/vif/c" -Value '' -Force | Out-Null
                New-Item "$R/exc/vifx/q" -Value '' -Force | Out-Null
                # The file system answers a, a/vif/c and vifx/q for the same layout.
                Get-ChildItem "$R/exc" -Recurse -Exclude 'vif*' -Name | Sort-Object | Should -Be @('a', 'a/vif/c', 'vifx/q')
            }

            It 'Rename-Item onto an existing name fails and changes neither node' {
                New-Item "$R/ren/a/kid" -Value 'k' -Force | Out-Null
                Set-Item "$R/ren/a" -Value 'a'
                New-Item "$R/ren/c" -Value 'c' | Out-Null
                { Rename-Item "$R/ren/c" -NewName a -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EEXIST*'
                (Get-Item "$R/ren/a").Value | Should -Be 'a'
                (Get-Item "$R/ren/c").Value | Should -Be 'c'
                Get-ChildItem "$R/ren" -Recurse -Name | Should -Be @('a', 'c', 'a/kid')
            }

            It 'Clear-Item, Clear-ItemProperty and Set-ItemProperty of a node that is not there fail and make nothing' {
                { Clear-Item "$R/clr/missing" -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
                Test-Path "$R/clr/missing" | Should -BeFalse
                { Clear-ItemProperty "$R/clr/missing" -Name Value -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
                Test-Path "$R/clr/missing" | Should -BeFalse
                { Set-ItemProperty "$R/clr/missing" -Name Value -Value 1 -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOENT*'
                Test-Path "$R/clr/missing" | Should -BeFalse
            }

            It 'Set-ItemProperty Permissions of a node that is not there is one error record' {
                Set-ItemProperty "$R/clr/absent" -Name Permissions -Value "n$Owner" -ErrorAction SilentlyContinue -ErrorVariable failures
                $failures.Count | Should -Be 1
                $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.ENOENT*'
            }
        }

        Context 'the cmdlets' -Skip:$Skip {
            It 'Watch-XenStore raises events through Register-ObjectEvent' {
                New-Item "$R/watch/w" -Value '' -Force | Out-Null
                $watcher = Watch-XenStore -Path "$R/watch/w"
                Register-ObjectEvent -InputObject $watcher -EventName Changed -SourceIdentifier "pb-watch-$Backend" | Out-Null
                try {
                    $first = Wait-Event -SourceIdentifier "pb-watch-$Backend" -Timeout 10
                    $first.SourceEventArgs.Path | Should -Be "$($B.Root)/watch/w"
                    Remove-Event -SourceIdentifier "pb-watch-$Backend"
                    Set-Item "$R/watch/w" -Value 'changed'
                    $next = Wait-Event -SourceIdentifier "pb-watch-$Backend" -Timeout 10
                    $next.SourceEventArgs.Path | Should -Be "$($B.Root)/watch/w"
                }
                finally {
                    Unregister-Event -SourceIdentifier "pb-watch-$Backend" -ErrorAction Ignore
                    Remove-Event -SourceIdentifier "pb-watch-$Backend" -ErrorAction Ignore
                    $watcher.Dispose()
                }
            }

            It 'Watch-XenStore -Wait -Count streams the first event and a change made meanwhile' {
                New-Item "$R/wait/w" -Value '' -Force | Out-Null
                $path = "$($B.Root)/wait/w/child"
                # Written again and again until the watch has seen it: on a busy machine the watch
                # may be registered only after a first write.
                $done = [hashtable]::Synchronized(@{ Stop = $false })
                $writer = Start-ThreadJob {
                    for ($i = 0; $i -lt 100 -and -not ($using:done).Stop; $i++) {
                        Start-Sleep -Milliseconds 150
                        ($using:Client).WriteAsync($using:path, "$i").GetAwaiter().GetResult()
                    }
                }
                try {
                    $events = Watch-XenStore -Path "$R/wait/w" -Wait -Count 2 -Timeout 15
                    @($events).Count | Should -Be 2
                    @($events)[0].Path | Should -Be "$($B.Root)/wait/w"
                    @($events)[1].Path | Should -Be $path
                }
                finally {
                    $done.Stop = $true
                    $writer | Wait-Job | Receive-Job
                    $writer | Remove-Job
                }
            }

            It 'Start-, Complete- and Undo-XenStoreTransaction group changes, and a conflict is XenStore.EAGAIN' {
                New-Item "$R/tx" -Value '' -Force | Out-Null
                Start-XenStoreTransaction -Drive b | Out-Null
                Set-Item "$R/tx/undone" -Value 'no'
                Undo-XenStoreTransaction -Drive b
                Test-Path "$R/tx/undone" | Should -BeFalse

                Start-XenStoreTransaction -Drive b | Out-Null
                New-Item "$R/tx/done" -Value 'yes' | Out-Null
                Set-Item "$R/tx" -Value 'in'
                # Outside the transaction (the same connection, no transaction id) nothing shows yet.
                $Client.ExistsAsync("$($B.Root)/tx/done").GetAwaiter().GetResult() | Should -BeFalse
                $Client.ReadStringAsync("$($B.Root)/tx").GetAwaiter().GetResult() | Should -Be ''
                Complete-XenStoreTransaction -Drive b
                (Get-Item "$R/tx/done").Value | Should -Be 'yes'
                (Get-Item "$R/tx").Value | Should -Be 'in'

                Start-XenStoreTransaction -Drive b | Out-Null
                try {
                    (Get-Item "$R/tx").Value | Should -Be 'in'
                    # Changed outside the transaction after the transaction read it.
                    $Client.WriteAsync("$($B.Root)/tx", 'outside').GetAwaiter().GetResult()
                    Set-Item "$R/tx" -Value 'inside'
                    { Complete-XenStoreTransaction -Drive b } | Should -Throw -ErrorId 'XenStore.EAGAIN*'
                }
                finally {
                    if ((Get-PSDrive b).Transaction) { Undo-XenStoreTransaction -Drive b }
                }
                (Get-Item "$R/tx").Value | Should -Be 'outside'
            }

            It 'Invoke-XenStoreTransaction runs the block in a transaction and writes its output' {
                Set-Content "$R/counter" -Value 41
                $out = Invoke-XenStoreTransaction -Drive b {
                    $n = [int](Get-Content "$R/counter")
                    Set-Content "$R/counter" -Value ($n + 1)
                    $n + 1
                }
                $out | Should -Be 42
                Get-Content "$R/counter" | Should -Be '42'
                { Invoke-XenStoreTransaction -Drive b { Set-Content "$R/counter" -Value 0; throw 'no' } } | Should -Throw
                Get-Content "$R/counter" | Should -Be '42'
            }

            It 'Get-XenStorePermission and Set-XenStorePermission, with -Recurse' {
                New-Item "$R/perm/a/b" -Value 1 -Force | Out-Null
                New-Item "$R/perm/c" -Value 2 -Force | Out-Null
                $p = Get-XenStorePermission "$R/perm"
                $p.Owner | Should -Be $Owner
                "$p" | Should -Be "n$Owner"
                Set-XenStorePermission "$R/perm/c" -Permission "n$Owner", 'r0'
                "$(Get-XenStorePermission "$R/perm/c")" | Should -Be "n$Owner r0"
                Set-XenStorePermission "$R/perm" -Permission "n$Owner", 'b0' -Recurse
                (Get-ChildItem "$R/perm" -Recurse | Get-XenStorePermission).ForEach({ "$_" }) | Should -Be @("n$Owner b0", "n$Owner b0", "n$Owner b0")
                "$(Get-XenStorePermission "$R/perm")" | Should -Be "n$Owner b0"
                (Get-Item "$R/perm/c" | Get-XenStorePermission).Owner | Should -Be $Owner
                $many = @("n$Owner") + (1..6 | ForEach-Object { "r$_" })
                if ($Ring) {
                    # A guest may set at most 5 entries (quota permissions): ENOSPC, as in C.
                    { Set-XenStorePermission "$R/perm/c" -Permission $many -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.ENOSPC*'
                    "$(Get-XenStorePermission "$R/perm/c")" | Should -Be "n$Owner b0"
                }
                else {
                    # Dom0 has no such limit.
                    Set-XenStorePermission "$R/perm/c" -Permission $many
                    "$(Get-XenStorePermission "$R/perm/c")" | Should -Be ($many -join ' ')
                }
            }

            It 'Set-XenStorePermission names an owner the backend refuses for what it is' {
                New-Item "$R/perm2/a" -Value 1 -Force | Out-Null
                # A guest may name no other owner; dom0 no id from DOMID_FIRST_RESERVED (32752) up.
                $named = if ($Ring) { 'n7' } else { 'n32767' }
                Set-XenStorePermission "$R/perm2/a" -Permission $named -ErrorAction SilentlyContinue -ErrorVariable refused
                Set-XenStorePermission "$R/perm2" -Permission $named -Recurse -ErrorAction SilentlyContinue -ErrorVariable refusedTree
                $refused.Count | Should -Be 1
                $refusedTree.Count | Should -Be 1
                if ($Ring) {
                    # A guest may not change the owner (C's EPERM), whatever domain it names.
                    $refused[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.EPERM*'
                    $refusedTree[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.EPERM*'
                }
                else {
                    # No such domain: ENOENT, told as an unknown domain, not as a missing node.
                    foreach ($record in $refused[0], $refusedTree[0]) {
                        $record.FullyQualifiedErrorId | Should -BeLike 'XenStore.ENOENT*'
                        "$record" | Should -BeLike '*knows no domain among 32767*'
                    }
                }
                "$(Get-XenStorePermission "$R/perm2/a")" | Should -Be "n$Owner"
            }

            It 'Wait-XenStore returns at once when met, after a change, and gives XenStore.WaitTimeout' {
                New-Item "$R/wx/state" -Value 4 -Force | Out-Null
                (Wait-XenStore "$R/wx/state" -Value 4 -TimeoutSec 5 -PassThru).Value | Should -Be '4'
                (Wait-XenStore "$R/wx/state" -Condition { [int]$args[0] -gt 3 } -TimeoutSec 5 -PassThru).FullName | Should -Be "$($B.Root)/wx/state"
                $path = "$($B.Root)/wx/later"
                $writer = Start-ThreadJob {
                    Start-Sleep -Milliseconds 400
                    ($using:Client).WriteAsync($using:path, '4').GetAwaiter().GetResult()
                }
                try {
                    (Wait-XenStore "$R/wx/later" -Value 4 -TimeoutSec 15 -PassThru).Value | Should -Be '4'
                }
                finally {
                    $writer | Wait-Job | Receive-Job
                    $writer | Remove-Job
                }
                Wait-XenStore "$R/wx/never" -TimeoutSec 1 -ErrorVariable late -ErrorAction SilentlyContinue
                $late[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.WaitTimeout*'
                $late[0].TargetObject | Should -Be "$($B.Root)/wx/never"
            }

            It 'Export-XenStore and Import-XenStore bring back a subtree with values and permissions (<_>)' -ForEach 'Json', 'XenstoreLs' {
                Remove-Item "$R/exp" -Recurse -ErrorAction Ignore
                New-Item "$R/exp/vm/name" -Value 'web01' -Force | Out-Null
                New-Item "$R/exp/vm/odd" -Value "tab`tquote`"back\slash" -Force | Out-Null
                Set-XenStorePermission "$R/exp/vm/name" -Permission "n$Owner", 'r0'
                $before = Get-XenStoreSnapshot "$R/exp"
                $before | Should -Contain "$($B.Root)/exp/vm/name [web01] n$Owner r0"
                $file = Join-Path ([IO.Path]::GetTempPath()) "xsps-pb-$PID-$Backend.$_"
                try {
                    Export-XenStore "$R/exp" -Format $_ -OutFile $file
                    Remove-Item "$R/exp" -Recurse
                    Import-XenStore -InputFile $file -Format $_ -Drive b
                    Get-XenStoreSnapshot "$R/exp" | Should -Be $before
                }
                finally {
                    Remove-Item $file -ErrorAction Ignore
                }
                Export-XenStore "$R/exp/vm" | Import-XenStore -Destination "$R/exp/copy"
                (Get-Item "$R/exp/copy/name").Value | Should -Be 'web01'
            }

            It 'Get-XenStoreDomainPath names the home of the domain behind the drive' {
                $homePath = Get-XenStoreDomainPath -DomainId $B.DomainId
                $homePath | Should -Be $B.Home
                if ($Ring) {
                    (Get-Item "b:$homePath/domid").Value | Should -Be "$($B.DomainId)"
                    # The guest reads its home, but not dom0's.
                    { Get-Item b:/local/domain/0/name -ErrorAction Stop } | Should -Throw -ErrorId 'XenStore.EACCES*'
                }
                elseif ($Backend -eq 'cxenstored') {
                    # Cxenstored starts with / and /tool/xenstored only: no xen-init-dom0 ran.
                    Test-Path "b:$homePath" | Should -BeFalse
                }
                else {
                    (Get-Item "b:$homePath/domid").Value | Should -Be '0'
                }
            }

            # Last: it takes the drive away and puts it back.
            It 'Disconnect-XenStore removes the drive and closes its connection' {
                New-Item "$R/kept" -Value 'still here' -Force | Out-Null
                Disconnect-XenStore -Name b
                Get-PSDrive b -ErrorAction Ignore | Should -BeNullOrEmpty
                { Get-Item "$R/kept" -ErrorAction Stop } | Should -Throw -ErrorId 'DriveNotFound*'
                { $Client.ReadStringAsync("$($B.Root)/kept").GetAwaiter().GetResult() } | Should -Throw
                switch ($Backend) {
                    'embedded' {
                        # The embedded daemon ends with its drive: a new one is a new store.
                        Connect-XenStore -Name b -Embedded | Out-Null
                        Test-Path "$R/kept" | Should -BeFalse
                        New-Item $R -Value '' -Force | Out-Null
                    }
                    'standalone' { Connect-XenStore -Name b -SocketPath (Join-Path $B.RunDir 'socket') | Out-Null }
                    'cxenstored' { Connect-XenStore -Name b -SocketPath (Join-Path $B.AnchorRunDir 'socket') | Out-Null }
                    'ring' { Connect-XenStore -Name b -Ring -SimXen $B.SimDir -DomainId $B.DomainId | Out-Null }
                }
                if ($Backend -ne 'embedded') { (Get-Item "$R/kept").Value | Should -Be 'still here' }
            }
        }
    }
}
