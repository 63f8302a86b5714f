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
}
