# Pester 5: the drive as an unprivileged guest sees it, on its ring through the simulated
# hypervisor: what it may read is listed, what it may not is one error, and refusals say so.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
    $RunDir = Join-Path ([IO.Path]::GetTempPath()) "xsps-pester-guest-$PID"
    $SimDir = Join-Path $RunDir 'sim'
    Start-XenStoreDaemon -RunDirectory $RunDir -SimXen $SimDir | Out-Null
    Connect-XenStore -Name gd0 -SocketPath (Join-Path $RunDir 'socket') | Out-Null
    # The guest's ring page exists once its drive connects; then dom0 introduces it.
    Connect-XenStore -Name g21 -Ring -SimXen $SimDir -DomainId 21 | Out-Null
    New-XenStoreDomain -DomainId 21 -Name guest21 -Introduce -Drive gd0 | Out-Null
    # A directory the guest may read, with one child it may not.
    New-Item gd0:/shared/open -Value 'o' -Force | Out-Null
    New-Item gd0:/shared/also -Value 'a' -Force | Out-Null
    New-Item gd0:/shared/secret -Value 's' -Force | Out-Null
    Set-XenStorePermission gd0:/shared -Permission n0, r21 -Recurse
    Set-XenStorePermission gd0:/shared/secret -Permission n0
    # A node the guest may not read at all.
    New-Item gd0:/private/inner -Value 'p' -Force | Out-Null
}

AfterAll {
    Disconnect-XenStore -Name g21 -ErrorAction Ignore
    Disconnect-XenStore -Name gd0 -ErrorAction Ignore
    Stop-XenStoreDaemon -RunDirectory $RunDir -ErrorAction Ignore
    Remove-Item $RunDir -Recurse -Force -ErrorAction Ignore
}

Describe 'A guest' -Tags 'CI' {
    It 'lists what it can read of a directory, and gets one error for the rest' {
        $items = Get-ChildItem g21:/shared -ErrorAction SilentlyContinue -ErrorVariable failures
        $items.Name | Should -Be @('open', 'also')
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.EACCES*'
        $failures[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $failures[0].Exception.Message | Should -Match 'secret'
    }

    It 'is told permission denied, not "already exists", for New-Item under a node it may not read' {
        New-Item g21:/private/mine -Value 'x' -ErrorAction SilentlyContinue -ErrorVariable failures | Out-Null
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'XenStore.EACCES*'
        $failures[0].Exception.Message | Should -Not -Match 'already exists'
        Test-Path gd0:/private/mine | Should -BeFalse
    }
}

Describe 'Items as objects' -Tags 'CI' {
    It 'serialize as plain properties, without the client''s internals' {
        $item = Get-Item gd0:/shared/open
        $json = $item | Select-Object Name, FullName, Value, Permissions, Owner, ChildCount | ConvertTo-Json -Compress
        $json | Should -Be '{"Name":"open","FullName":"/shared/open","Value":"o","Permissions":"n0 r21","Owner":0,"ChildCount":0}'
        $item | Export-Csv -Path (Join-Path $RunDir 'items.csv') -NoTypeInformation
        $text = Get-Content (Join-Path $RunDir 'items.csv') -Raw
        $text | Should -Not -Match 'System\.|List`1|Node'
        (Import-Csv (Join-Path $RunDir 'items.csv')).Permissions | Should -Be 'n0 r21'
        ($item | Format-List * | Out-String) | Should -Not -Match 'System\.Byte|List`1|XenStoreNode'
    }
}
