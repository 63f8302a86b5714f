# Pester 5: the module installs like any other. ./build.sh package's .nupkg goes into a folder
# repository, Install-PSResource puts it in a clean user module path, and a fresh pwsh imports
# it by name and mounts xs:.
BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $Version = (Import-PowerShellDataFile (Join-Path $ProjectRoot 'XenStore.psd1')).ModuleVersion
    $Feed = Join-Path $TestDrive 'feed'
    $UserHome = Join-Path $TestDrive 'home'
    New-Item -ItemType Directory -Path $UserHome | Out-Null
    & (Join-Path $ProjectRoot 'scripts/package.ps1') -DestinationPath $Feed | Out-Null

    # A new pwsh of this same version whose HOME is $UserHome: PSResourceGet's settings and the
    # CurrentUser module folder live there, so nothing of the real user's is read or changed.
    function Invoke-FreshPwsh([string] $Command) {
        $start = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        # Under `dotnet pwsh` the process is the dotnet host running pwsh.dll.
        if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
            $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll'))
        }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; $Command") {
            $start.ArgumentList.Add($a)
        }
        $start.Environment['HOME'] = $UserHome
        # NuGet inside PSResourceGet may write a NuGet/NuGet.Config into the working directory
        # when HOME moves; keep that in the test drive, not the checkout.
        $start.WorkingDirectory = $TestDrive
        # The default module path then holds only $UserHome's and pwsh's own modules; no
        # XENSTORED_PATH, so the drive finds the standard socket or embeds a daemon.
        foreach ($name in 'PSModulePath', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XENSTORED_PATH', 'XENSTORED_RUNDIR') {
            $start.Environment.Remove($name) | Out-Null
        }
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw "pwsh did not finish: $Command" }
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout -split "`r?`n"; Error = $stderr.Result }
    }
}

Describe 'Installing the XenStore package' -Tags 'CI' {
    It 'packs the laid-out module' {
        Join-Path $Feed "XenStore.$Version.nupkg" | Should -Exist
    }

    It 'installs with Install-PSResource from a folder repository' {
        $run = Invoke-FreshPwsh @"
Register-PSResourceRepository -Name xenstore-local -Uri '$Feed' -Trusted
Install-PSResource XenStore -Repository xenstore-local -TrustRepository -Scope CurrentUser
'installed=' + (Get-InstalledPSResource XenStore -Scope CurrentUser).Version
"@
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Output | Should -Contain "installed=$Version"
    }

    It 'imports by name in a fresh session and serves xs:' {
        $run = Invoke-FreshPwsh @'
Import-Module XenStore
'base=' + (Get-Module XenStore).ModuleBase
'provider=' + (Get-PSProvider XenStore).ModuleName
Get-ChildItem xs:/local/domain -Name
'@
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Output | Should -Contain "base=$(Join-Path $UserHome ".local/share/powershell/Modules/XenStore/$Version")"
        $run.Output | Should -Contain 'provider=XenStore'
        $run.Output | Should -Contain '0'
    }
}
