# Hosts reached through OpenSSH, for Remoting.Tests.ps1: each "host" is an sshd of its own on
# 127.0.0.1 (Debian's openssh-server, `sshd -D -e -f CONFIG`, on a free port), with its own host
# key, config and log in the fixture's temporary directory, serving its own standalone daemon
# (sshd_config SetEnv XENSTORED_PATH) and pwsh as its `powershell` subsystem: the pinned
# `dotnet pwsh -sshs` with the laid-out module on PSModulePath and a session configuration that
# imports it, as the README tells an administrator to set a host up. Key-based login only: the
# client key is made here with ssh-keygen and is the only authorized one. Host names (h1, h2)
# reach their sshd through ssh options (Hostname, Port, HostKeyAlias, a known_hosts file of the
# fixture), never through the user's ~/.ssh (ssh reads it from the passwd home, not $HOME).
$ErrorActionPreference = 'Stop'
$ProjectRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $PSScriptRoot 'StandaloneDaemon.psm1') -Force

$Sshd = '/usr/sbin/sshd'

# Whether the suite can run: sshd and the ssh client. Outside CI a machine without them skips the
# suite; with $env:CI = 'true' it runs and fails (scripts/install-test-peers.sh installs them).
function Test-SshHostAvailable {
    (Test-Path $Sshd) -and [bool](Get-Command ssh -ErrorAction Ignore) -and [bool](Get-Command ssh-keygen -ErrorAction Ignore)
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function New-SshKey([string] $Path) {
    & ssh-keygen -q -t ed25519 -N '' -C xsps-test -f $Path
    if ($LASTEXITCODE -ne 0) { throw "ssh-keygen -f $Path failed" }
}

# The ssh options that make host $Name reach its sshd: the parameters Connect-XenStore -HostName,
# New-PSSession -HostName and the entries of -SSHConnection take.
function Get-SshHostConnection($Fixture, [string] $Name) {
    $h = $Fixture.Hosts | Where-Object Name -eq $Name
    @{
        HostName    = $Name
        UserName    = $Fixture.UserName
        Port        = $h.Port
        KeyFilePath = $Fixture.ClientKey
        Options     = @{
            Hostname              = '127.0.0.1'
            HostKeyAlias          = $Name
            UserKnownHostsFile    = $Fixture.KnownHosts
            GlobalKnownHostsFile  = '/dev/null'
            StrictHostKeyChecking = 'yes'
            IdentitiesOnly        = 'yes'
            BatchMode             = 'yes'
        }
    }
}

# Starts one sshd as host $h (its daemon must be running); records its process on $h.
function Start-SshHostServer($Fixture, $h) {
    $log = Join-Path $Fixture.Directory "$($h.Name)-sshd.log"
    $h.Process = Start-Process $Sshd -ArgumentList '-D', '-e', '-f', $h.Config -PassThru -RedirectStandardError $log
    $deadline = (Get-Date).AddSeconds(20)
    while ($true) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $h.Port); break } catch { } finally { $client.Dispose() }
        if ($h.Process.HasExited -or (Get-Date) -gt $deadline) {
            if (-not $h.Process.HasExited) { $h.Process.Kill() }
            throw "sshd for $($h.Name) did not start on port $($h.Port): $(Get-Content $log -Raw -ErrorAction Ignore)"
        }
        Start-Sleep -Milliseconds 50
    }
}

# Stops host $h's sshd with every session it serves (their processes are its descendants), as a
# host that goes down takes its links with it.
function Stop-SshHostServer($h) {
    if ($h.Process -and -not $h.Process.HasExited) {
        $h.Process.Kill($true)
        $h.Process.WaitForExit()
    }
}

# Starts hosts $Names. Whatever it started is on the returned object as it goes, so that
# Stop-SshHostFixture can undo a half-done start.
function Start-SshHostFixture([string[]] $Names, [ref] $State) {
    # Short: the daemons' sockets live under it and a Unix socket path must stay under 108 bytes.
    $dir = Join-Path ([IO.Path]::GetTempPath()) "xsps-sh-$PID-$(Get-Random -Maximum 99999)"
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    $fixture = [pscustomobject]@{
        Directory = $dir; UserName = [Environment]::UserName; Hosts = @()
        ClientKey = Join-Path $dir 'client_key'; StrangerKey = Join-Path $dir 'stranger_key'
        KnownHosts = Join-Path $dir 'known_hosts'
    }
    $State.Value = $fixture
    $moduleRoot = Join-Path $ProjectRoot 'module'
    if (-not (Test-Path (Join-Path $moduleRoot 'XenStore'))) { throw "the module is not laid out in $moduleRoot (run ./build.sh)" }
    # sshd refuses to start without its privilege separation directory (the service makes it at boot).
    if (-not (Test-Path /run/sshd)) { New-Item -ItemType Directory -Path /run/sshd | Out-Null }

    New-SshKey $fixture.ClientKey
    New-SshKey $fixture.StrangerKey
    Copy-Item "$($fixture.ClientKey).pub" (Join-Path $dir 'authorized_keys')

    # The host side of remoting: pwsh as the ssh subsystem, the module "installed" (on
    # PSModulePath) and imported into every remote session by a session configuration.
    $pssc = Join-Path $dir 'xenstore.pssc'
    New-PSSessionConfigurationFile -Path $pssc -ModulesToImport XenStore
    $dotnet = (Get-Command dotnet).Source
    # sshd gives a session a fresh environment: what dotnet needs to find the pinned pwsh goes in the wrapper.
    $carried = 'DOTNET_ROOT', 'NUGET_PACKAGES', 'DOTNET_CLI_HOME', 'DOTNET_NOLOGO', 'DOTNET_CLI_TELEMETRY_OPTOUT' |
        Where-Object { [Environment]::GetEnvironmentVariable($_) } |
        ForEach-Object { "export $_='$([Environment]::GetEnvironmentVariable($_))'" }
    $wrapper = Join-Path $dir 'pwsh-subsystem.sh'
    Set-Content $wrapper (@(
        '#!/bin/sh'
        "cd '$ProjectRoot'"
        $carried
        "export PSModulePath='$moduleRoot'"
        "exec '$dotnet' pwsh -sshs -NoLogo -NoProfile -ConfigurationFile '$pssc'"
    ) -join "`n")
    & chmod 755 $wrapper

    foreach ($name in $Names) {
        $h = [pscustomobject]@{ Name = $name; Port = Get-FreeTcpPort; RunDir = Join-Path $dir $name; Daemon = $null; Process = $null; Config = $null }
        $fixture.Hosts += $h
        $h.Daemon = Start-StandaloneDaemon $h.RunDir
        $hostKey = Join-Path $dir "$name-host_key"
        New-SshKey $hostKey
        Add-Content $fixture.KnownHosts "$name $((Get-Content "$hostKey.pub" -Raw).Trim())"
        $h.Config = Join-Path $dir "$name-sshd_config"
        Set-Content $h.Config @(
            "Port $($h.Port)"
            'ListenAddress 127.0.0.1'
            "HostKey $hostKey"
            "PidFile $(Join-Path $dir "$name-sshd.pid")"
            'UsePAM no'
            'StrictModes no'
            'PermitRootLogin prohibit-password'
            'PubkeyAuthentication yes'
            'PasswordAuthentication no'
            'KbdInteractiveAuthentication no'
            "AuthorizedKeysFile $(Join-Path $dir 'authorized_keys')"
            'AllowStreamLocalForwarding yes'
            "SetEnv XENSTORED_PATH=$(Join-Path $h.RunDir 'socket')"
            "Subsystem powershell $wrapper"
        )
        Start-SshHostServer $fixture $h
    }
    $fixture
}

# Stops every sshd and daemon the fixture started and removes its directory.
function Stop-SshHostFixture($Fixture) {
    if (-not $Fixture) { return }
    foreach ($h in $Fixture.Hosts) {
        Stop-SshHostServer $h
        if ($h.Daemon) { Stop-StandaloneDaemon $h.Daemon }
    }
    Remove-Item $Fixture.Directory -Recurse -Force -ErrorAction Ignore
}

Export-ModuleMember -Function Test-SshHostAvailable, Start-SshHostFixture, Stop-SshHostFixture, Get-SshHostConnection,
    Start-SshHostServer, Stop-SshHostServer
