# Our standalone daemon (src/Daemon) in a process of its own, as the Pester suites start it:
# `dotnet xenstored-ps.dll --rundir DIR [more options]`, ready once it prints its "serving" line.
# A process of its own, so that a test can kill it under a drive or a watch.
$ErrorActionPreference = 'Stop'
$ProjectRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-StandaloneDaemonPath {
    $dll = 'Release', 'Debug' |
        ForEach-Object { Join-Path $ProjectRoot "src/Daemon/bin/$_/net8.0/xenstored-ps.dll" } |
        Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $dll) { throw "the standalone daemon is not built (src/Daemon/bin/*/net8.0/xenstored-ps.dll)" }
    $dll
}

function Start-StandaloneDaemon([string] $Dir, [string[]] $MoreArguments = @()) {
    New-Item -ItemType Directory -Path $Dir -Force | Out-Null
    $out = Join-Path $Dir 'out.txt'
    $err = Join-Path $Dir 'err.txt'
    $process = Start-Process dotnet -ArgumentList (@((Get-StandaloneDaemonPath), '--rundir', $Dir) + $MoreArguments) -PassThru `
        -RedirectStandardOutput $out -RedirectStandardError $err
    $deadline = (Get-Date).AddSeconds(30)
    while (-not (Select-String -Path $out -Pattern 'serving' -Quiet -ErrorAction Ignore)) {
        if ($process.HasExited -or (Get-Date) -gt $deadline) {
            if (-not $process.HasExited) { $process.Kill() }
            throw "the standalone daemon did not start in $Dir`: $(Get-Content $out, $err -Raw -ErrorAction Ignore)"
        }
        Start-Sleep -Milliseconds 50
    }
    $process
}

function Stop-StandaloneDaemon([Diagnostics.Process] $Process) {
    if ($Process.HasExited) { return }
    & /bin/kill -TERM $Process.Id
    if (-not $Process.WaitForExit(10000)) { $Process.Kill() }
    $Process.WaitForExit()
}

Export-ModuleMember -Function Get-StandaloneDaemonPath, Start-StandaloneDaemon, Stop-StandaloneDaemon
