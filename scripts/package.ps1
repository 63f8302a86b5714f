# Packs the laid-out module (module/XenStore/<ModuleVersion>/, made by the build) into
# XenStore.<ModuleVersion>.nupkg, the package Install-PSResource takes from any NuGet-style
# repository (a folder, a feed, the Gallery). Prints the package's path.
#
# Compress-PSResource (PSResourceGet 1.1+, shipped with PowerShell 7.6) writes the same package
# Publish-PSResource would, without a registered repository, so packing changes nothing in the
# user's PSResourceGet settings and needs no network.
[CmdletBinding()]
param(
    # Where the .nupkg goes; a folder that can serve as a local repository.
    [string] $DestinationPath = (Join-Path $PSScriptRoot '../artifacts')
)
$ErrorActionPreference = 'Stop'

$root = Resolve-Path (Join-Path $PSScriptRoot '..')
$version = (Import-PowerShellDataFile (Join-Path $root 'XenStore.psd1')).ModuleVersion
$module = Join-Path $root "module/XenStore/$version"
if (-not (Test-Path (Join-Path $module 'XenStore.PowerShell.dll'))) {
    throw "$module is not laid out: run ./build.sh first."
}

New-Item -ItemType Directory -Force -Path $DestinationPath | Out-Null
$package = Join-Path (Resolve-Path $DestinationPath) "XenStore.$version.nupkg"
# A package of the same version is replaced, so packing again after a rebuild is idempotent.
Remove-Item $package -ErrorAction Ignore
Compress-PSResource -Path $module -DestinationPath $DestinationPath
if (-not (Test-Path $package)) { throw "Compress-PSResource wrote no $package." }
$package
