@{
    # In a checkout this manifest loads the module the build lays out in
    # module/XenStore/<ModuleVersion>/; the laid-out copy is this file without that prefix.
    RootModule           = 'module/XenStore/0.1.0/XenStore.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0d7f3e-6a52-4d0c-9a7e-3c1f2b8e4d61'
    Author               = 'XenStorePS contributors'
    CompanyName          = 'XenStorePS'
    Copyright            = '(c) XenStorePS contributors. All rights reserved.'
    Description          = 'XenStore, the Xen hypervisor''s key/value store, as the xs: drive, with cmdlets for watches, transactions, permissions and domains; can host its own xenstored.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('module/XenStore/0.1.0/XenStore.format.ps1xml')
    TypesToProcess       = @('module/XenStore/0.1.0/XenStore.types.ps1xml')
    CmdletsToExport      = @(
        'Connect-XenStore'
        'Disconnect-XenStore'
        'Watch-XenStore'
        'Wait-XenStore'
        'Export-XenStore'
        'Import-XenStore'
        'Start-XenStoreTransaction'
        'Complete-XenStoreTransaction'
        'Undo-XenStoreTransaction'
        'Invoke-XenStoreTransaction'
        'Get-XenStorePermission'
        'Set-XenStorePermission'
        'Get-XenStoreDomainPath'
        'New-XenStoreDomain'
        'Remove-XenStoreDomain'
        'Start-XenStoreDaemon'
        'Stop-XenStoreDaemon'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Xen', 'XenStore', 'Hypervisor', 'Provider', 'Linux')
        }
    }
}
