# Pester 5 suite for machines with pwsh and Pester: the module imports and its manifest is honest.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force
}

Describe 'XenStore module' -Tags 'CI' {
    It 'exports the cmdlets its manifest lists' {
        $manifest = Import-PowerShellDataFile (Join-Path $ProjectRoot 'XenStore.psd1')
        $exported = (Get-Module XenStore).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'formats domain paths' {
        Get-XenStoreDomainPath -DomainId 19 | Should -Be '/local/domain/19'
        19, 20 | Get-XenStoreDomainPath | Should -Be @('/local/domain/19', '/local/domain/20')
    }

    It 'hosts a daemon with the quotas it is given and refuses unknown ones' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) "xs-pester-$PID"
        try {
            Start-XenStoreDaemon -RunDirectory $dir -Quota @{ memory = 1MB; nodes = 2000 } | Out-Null
            Connect-XenStore -Name pq -SocketPath (Join-Path $dir 'socket') | Out-Null
            $client = (Get-PSDrive pq).Client
            $client.GetQuotaAsync('memory').GetAwaiter().GetResult() | Should -Be 1MB
            $client.GetQuotaAsync('nodes').GetAwaiter().GetResult() | Should -Be 2000
            { Start-XenStoreDaemon -RunDirectory "$dir-bad" -Quota @{ bogus = 1 } } |
                Should -Throw -ErrorId 'XenStore.BadQuota*'
        }
        finally {
            Disconnect-XenStore -Name pq -ErrorAction Ignore
            Stop-XenStoreDaemon -RunDirectory $dir -ErrorAction Ignore
            Remove-Item $dir -Recurse -Force -ErrorAction Ignore
        }
    }
}
