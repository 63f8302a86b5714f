# Pester 5: every help example of the automation and domain cmdlets runs, each in a fresh session
# whose xs: drive is a daemon embedded in it (skipped where a real xenstored answers: the examples write).
BeforeDiscovery {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force -WarningAction Ignore
    $Examples = foreach ($name in 'Wait-XenStore', 'Export-XenStore', 'Import-XenStore', 'Set-XenStorePermission', 'New-XenStoreDomain', 'Remove-XenStoreDomain') {
        $i = 0
        foreach ($example in (Get-Help $name).examples.example) {
            $i++
            @{ Name = $name; Number = $i; Code = $example.code }
        }
    }
    $Embedded = $null -ne (Get-PSDrive xs).EmbeddedDaemon
}

BeforeAll {
    $Manifest = Join-Path (Resolve-Path (Join-Path $PSScriptRoot '../..')) 'XenStore.psd1'
}

Describe 'Help examples' -Tags 'CI' {
    It '<Name> example <Number> runs' -TestCases $Examples -Skip:(-not $Embedded) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$Manifest' -WarningAction Ignore; $Code")
            $null = $ps.Invoke()
            $ps.Streams.Error | ForEach-Object { "$_" } | Should -BeNullOrEmpty
        }
        finally {
            $ps.Dispose()
        }
    }
}
