# Runs every Pester suite in this folder with Pester 5.7.1, restored from NuGet by
# PesterRestore.csproj (no PowerShell Gallery needed). Exits non-zero on any failure.
#   dotnet pwsh -NoProfile -File tests/Pester/run.ps1 [-CountsFile F] [-TestResultPath F.xml] [-ExcludeTag peers]
[CmdletBinding()]
param(
    # Receives "PASSED FAILED SKIPPED", for build.sh's closing line.
    [string] $CountsFile,
    # Receives the results as JUnit XML.
    [string] $TestResultPath,
    # Leaves out the tests with these tags: 'peers' need xenstore-utils or Xen's reference daemons (see the README).
    [string[]] $ExcludeTag
)
$ErrorActionPreference = 'Stop'
$PesterVersion = '5.7.1'   # as pinned in PesterRestore.csproj

& dotnet restore (Join-Path $PSScriptRoot 'PesterRestore.csproj') --nologo -v quiet
if ($LASTEXITCODE -ne 0) { throw 'restoring Pester failed' }

# The package folder NuGet restored into: NUGET_PACKAGES when set, else what NuGet's settings say.
$packages = $env:NUGET_PACKAGES
if (-not $packages) {
    $line = & dotnet nuget locals global-packages --list | Select-String 'global-packages:'
    $packages = ($line.Line -replace '^.*global-packages:\s*', '').Trim()
}
Import-Module (Join-Path $packages "pester/$PesterVersion/tools/Pester.psd1") -Force

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($ExcludeTag) { $config.Filter.ExcludeTag = $ExcludeTag }
if ($TestResultPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'JUnitXml'
    $config.TestResult.OutputPath = $TestResultPath
}
$result = Invoke-Pester -Configuration $config

# The failures once more, last, where a log cut to its tail still shows them.
foreach ($test in $result.Failed) {
    Write-Host "failed: $($test.ExpandedPath)"
    foreach ($line in "$($test.ErrorRecord | Select-Object -First 1)" -split "`n" | Where-Object { $_ } | Select-Object -First 6) { Write-Host "    $line" }
}
foreach ($block in $result.FailedBlocks) { Write-Host "failed in its set-up: $($block.ExpandedPath)" }
foreach ($container in $result.FailedContainers) { Write-Host "failed to run: $($container.Item)" }

# A failure outside any test (a BeforeAll, a file that does not load) fails no test by itself.
$failed = $result.FailedCount
if ($result.Result -ne 'Passed' -and $failed -eq 0) {
    $failed = [Math]::Max(1, $result.FailedBlocksCount + $result.FailedContainersCount)
}
if ($CountsFile) {
    "$($result.PassedCount) $failed $($result.SkippedCount)" | Set-Content -Path $CountsFile
}
exit ([int]($result.Result -ne 'Passed'))
