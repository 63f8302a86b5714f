<#
.SYNOPSIS
    Get-ChildItem -Recurse (with and without -Name) on the xs: drive beside the FileSystem
    provider, over trees of the same shape, in the same pwsh.

.DESCRIPTION
    Builds a tree of 10,000 items (100 directories of 99 leaves each, plus the directories) in
    a temporary directory and in XenStore, on the daemon embedded in the session and on our
    standalone daemon over its socket. Every repetition runs every case, in a rotating order,
    and the report gives each case's median and its ratio to the FileSystem provider's.

    Run it under the pinned pwsh after a Release build:
        dotnet pwsh -NoProfile -File bench/provider-vs-filesystem.ps1 [-Repetitions 9]
#>
param(
    [int] $Repetitions = 9,
    [int] $Directories = 100,
    [int] $LeavesPerDirectory = 99
)
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..')
Import-Module (Join-Path $root 'XenStore.psd1') -WarningAction Ignore

$work = Join-Path ([IO.Path]::GetTempPath()) "xsps-gci-$PID"
$fsTree = Join-Path $work 'tree'
$runDir = Join-Path $work 'daemon'
$daemonDll = Join-Path $root 'src/Daemon/bin/Release/net8.0/xenstored-ps.dll'
New-Item -ItemType Directory $runDir -Force | Out-Null
$daemon = Start-Process dotnet -ArgumentList $daemonDll, '--rundir', $runDir, '--bare' -PassThru -RedirectStandardOutput (Join-Path $work 'daemon.out')
try {
    $socket = Join-Path $runDir 'socket'
    for ($i = 0; -not (Test-Path $socket) -and $i -lt 100; $i++) { Start-Sleep -Milliseconds 100 }
    Connect-XenStore -Name sock -SocketPath $socket | Out-Null
    Connect-XenStore -Name emb -Embedded | Out-Null

    # The same shape everywhere: /tree/dN/fM.
    foreach ($d in 0..($Directories - 1)) {
        New-Item -ItemType Directory "$fsTree/d$d" -Force | Out-Null
        foreach ($f in 0..($LeavesPerDirectory - 1)) { [IO.File]::WriteAllText("$fsTree/d$d/f$f", 'value') }
    }
    foreach ($drive in 'emb', 'sock') {
        $client = (Get-PSDrive $drive).Client
        $writes = foreach ($d in 0..($Directories - 1)) { foreach ($f in 0..($LeavesPerDirectory - 1)) { $client.WriteAsync("/tree/d$d/f$f", 'value') } }
        [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]]$writes)
    }

    $cases = [ordered]@{
        'FileSystem -Recurse'             = { Get-ChildItem $fsTree -Recurse }
        'xs: embedded -Recurse'           = { Get-ChildItem emb:/tree -Recurse }
        'xs: socket -Recurse'             = { Get-ChildItem sock:/tree -Recurse }
        'FileSystem -Recurse -Name'       = { Get-ChildItem $fsTree -Recurse -Name }
        'xs: embedded -Recurse -Name'     = { Get-ChildItem emb:/tree -Recurse -Name }
        'xs: socket -Recurse -Name'       = { Get-ChildItem sock:/tree -Recurse -Name }
    }
    # Every case must list the same number of items, or the comparison means nothing.
    foreach ($name in $cases.Keys) {
        $count = (& $cases[$name] | Measure-Object).Count
        if ($count -ne $Directories * ($LeavesPerDirectory + 1)) { throw "$name listed $count items" }
    }
    $times = @{}
    foreach ($name in $cases.Keys) { $times[$name] = [Collections.Generic.List[double]]::new() }
    $names = @($cases.Keys)
    for ($r = 0; $r -lt $Repetitions; $r++) {
        for ($k = 0; $k -lt $names.Count; $k++) {
            $name = $names[($k + $r) % $names.Count]
            $times[$name].Add((Measure-Command { & $cases[$name] | Out-Null }).TotalMilliseconds)
        }
    }
    function Median($values) { $sorted = $values | Sort-Object; $sorted[[int][Math]::Floor($sorted.Count / 2)] }
    "| Get-ChildItem over $($Directories * ($LeavesPerDirectory + 1)) items | median ms | × FileSystem |"
    '|---|---:|---:|'
    foreach ($name in $names) {
        $baseline = if ($name -like '*-Name') { 'FileSystem -Recurse -Name' } else { 'FileSystem -Recurse' }
        '| {0} | {1:N0} | {2:N2} |' -f $name, (Median $times[$name]), ((Median $times[$name]) / (Median $times[$baseline]))
    }
    "`n$Repetitions interleaved repetitions, pwsh $($PSVersionTable.PSVersion), $([Environment]::ProcessorCount) cores, $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC."
}
finally {
    Disconnect-XenStore -Name sock -ErrorAction Ignore
    Disconnect-XenStore -Name emb -ErrorAction Ignore
    Stop-Process -Id $daemon.Id -ErrorAction Ignore
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
