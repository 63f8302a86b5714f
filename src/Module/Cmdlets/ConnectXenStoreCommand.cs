using System.Management.Automation;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Mounts a XenStore as a drive.</para>
/// <para type="description">Connects to a xenstored's socket, the xenbus device, a daemon embedded in this session, or (as a guest) a ring of the simulated hypervisor, and mounts it as drive NAME: rooted at -Root. Without -SocketPath it connects to the socket XENSTORED_PATH (or XENSTORED_RUNDIR) names, else the standard one; a socket that cannot be reached stops the command with XenStore.ConnectFailed, naming the path and the reason.</para>
/// <para type="description">A drive of the same name is refused with XenStore.DriveExists, unless -Force: then the old drive is removed first (its connection closed) and the new one takes its name. A socket or xenbus drive reopens its connection by itself on the first command after the xenstored restarted, so -Force is rarely needed for that.</para>
/// <para type="description">With -HostName, the drive is another host's xenstored, carried by OpenSSH: an ssh child process of this session forwards a private Unix socket to the xenstored's socket on that host (ssh -N -L), with your ssh configuration, keys and known hosts (-UserName, -Port, -KeyFilePath and -Options as New-PSSession -HostName takes them). The remote socket is -SocketPath, else the one the host's own environment names (XENSTORED_PATH, XENSTORED_RUNDIR, else /var/run/xenstored/socket). The drive name defaults to the host's first name label (h1 for h1.example.com). ssh never prompts (BatchMode): a refused login is XenStore.SshLoginRefused, an unknown host key XenStore.SshHostKeyUnknown, a host that cannot be reached XenStore.SshHostUnreachable, no xenstored on the host XenStore.RemoteDaemonUnavailable, and nothing settled within -TimeoutSec XenStore.SshTimeout; each has the host name as its target. The ssh process lives as long as the drive: Disconnect-XenStore, Remove-PSDrive, Remove-Module XenStore and the end of the session (even by kill -9) kill it. A link that drops fails what is waiting with XenStore.ConnectionLost, and the next command opens a new link, as a socket drive reconnects after a xenstored restart.</para>
/// <para type="description">A guest domain has one ring: connecting a ring that a drive of this session already uses is refused with XenStore.RingInUse, naming that drive.</para>
/// </summary>
/// <example><code>$run = Join-Path ([IO.Path]::GetTempPath()) "xs-example-$PID"; Start-XenStoreDaemon $run | Out-Null; Connect-XenStore -Name hosted -SocketPath "$run/socket" -Root /local/domain/0; Get-ChildItem hosted:; Disconnect-XenStore hosted; Stop-XenStoreDaemon $run</code></example>
/// <example><code>Connect-XenStore -HostName h1 -UserName root; Get-ChildItem h1:/local/domain -Name; Disconnect-XenStore h1</code></example>
/// <example><code>Connect-XenStore -Name scratch -Embedded; New-Item scratch:/vm/demo/name -Value web01 -Force | Out-Null; Get-ChildItem scratch:/vm/demo</code></example>
[Cmdlet(VerbsCommunications.Connect, "XenStore", DefaultParameterSetName = "Socket", SupportsShouldProcess = true)]
[OutputType(typeof(PSDriveInfo))]
public sealed class ConnectXenStoreCommand : XenStoreCmdlet, IDisposable
{
    /// <summary>The drive name (without the colon); with -HostName it defaults to the host's first name label.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Socket")]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Xenbus")]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Embedded")]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Ring")]
    [Parameter(Position = 0, ParameterSetName = "Ssh")]
    [ValidatePattern("^[A-Za-z0-9_-]+$")]
    public string Name { get; set; } = "";

    /// <summary>A xenstored's Unix socket (default: XENSTORED_PATH, XENSTORED_RUNDIR/socket, /var/run/xenstored/socket); with -HostName, the socket on that host (default: the one its environment names).</summary>
    [Parameter(ParameterSetName = "Socket")]
    [Parameter(ParameterSetName = "Ssh")]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string? SocketPath { get; set; }

    /// <summary>A host whose xenstored to mount, through OpenSSH ("h1", "root@h1", or an alias of your ssh configuration).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Ssh")]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = "";

    /// <summary>The user to log in as on the host (ssh -l; default: your ssh configuration's, else your own).</summary>
    [Parameter(ParameterSetName = "Ssh")]
    public string? UserName { get; set; }

    /// <summary>The host's ssh port (ssh -p; default: your ssh configuration's, else 22).</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>A private key file to log in with (ssh -i), beside your agent's and configuration's keys.</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string? KeyFilePath { get; set; }

    /// <summary>ssh options as a hashtable (ssh -o NAME=VALUE), as New-PSSession -HostName -Options takes them: @{ UserKnownHostsFile = '...'; HostKeyAlias = 'h1' }. They win over the module's defaults.</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [Alias("SshOption")]
    public System.Collections.Hashtable? Options { get; set; }

    /// <summary>Use the xenbus device.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Xenbus")]
    public SwitchParameter Xenbus { get; set; }

    /// <summary>The xenbus device (default /dev/xen/xenbus).</summary>
    [Parameter(ParameterSetName = "Xenbus")]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string? DevicePath { get; set; }

    /// <summary>Host a XenStore daemon in this session for the drive.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Embedded")]
    public SwitchParameter Embedded { get; set; }

    /// <summary>Connect as a guest domain through the simulated hypervisor's ring.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Ring")]
    public SwitchParameter Ring { get; set; }

    /// <summary>The simulated hypervisor's directory (the daemon's --sim-xen).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Ring")]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string SimXen { get; set; } = "";

    /// <summary>The guest's domain id.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Ring")]
    [ValidateRange(1, 32751)]
    public int DomainId { get; set; }

    /// <summary>The XenStore path the drive is rooted at.</summary>
    [Parameter]
    public string Root { get; set; } = "/";

    /// <summary>Make the drive visible beyond the caller's scope.</summary>
    [Parameter]
    public string Scope { get; set; } = "global";

    /// <summary>Seconds a request waits for the xenstored before the command stops with XenStore.Timeout (default 30; 0 waits for ever).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int TimeoutSec { get; set; } = (int)XenStoreConnector.RequestTimeout.TotalSeconds;

    /// <summary>Replace a drive of the same name (it is removed first, and its connection closed).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private readonly CancellationTokenSource stopping = new();

    /// <summary>Ctrl+C stops a connect that waits on ssh.</summary>
    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>Releases the Ctrl+C token.</summary>
    public void Dispose() => stopping.Dispose();

    protected override void EndProcessing()
    {
        if (ParameterSetName == "Ssh" && !MyInvocation.BoundParameters.ContainsKey(nameof(Name))) Name = DriveNameOfHost(HostName);
        if (!ShouldProcess($"{Name}: ({ParameterSetName})", "Connect XenStore drive")) return;
        if (ExistingDrive(Name) is { } existing)
        {
            if (!Force)
                ThrowTerminatingError(new ErrorRecord(new SessionStateException($"A drive named '{Name}' exists ({existing.Description}). Use -Force to replace it, or Disconnect-XenStore -Name {Name} first."),
                    "XenStore.DriveExists", ErrorCategory.ResourceExists, Name));
            SessionState.Drive.Remove(existing.Name, force: true, null);
        }
        var provider = SessionState.Provider.GetOne(XenStoreProvider.ProviderName);
        var named = new PSDriveInfo(Name, provider, ProviderPath.ToStorePath(Root), "", null);
        // Without a connection of its own the drive is another view (another -Root) of the default store.
        if (ParameterSetName == "Socket" && SocketPath is null
            && XenStoreDriveInfo.OnDefaultStore(provider) is { } shared)
        {
            WriteObject(Mount(new XenStoreDriveInfo(Described(named, shared.Connection), shared.DriveConnection, ownConnection: false)));
            return;
        }
        XenStoreConnector.Connection connection;
        try
        {
            connection = ParameterSetName switch
            {
                "Xenbus" => XenStoreConnector.Xenbus(DevicePath),
                "Embedded" => XenStoreConnector.Embedded(),
                "Ring" => XenStoreConnector.Ring(SessionState.Path.GetUnresolvedProviderPathFromPSPath(SimXen), (uint)DomainId),
                "Ssh" => XenStoreConnector.Ssh(SshOptions(), stopping.Token),
                _ => SocketPath is null ? XenStoreConnector.DefaultSocket() : XenStoreConnector.Socket(SocketPath),
            };
        }
        catch (Transport.RingInUseException inUse)
        {
            var holder = RingHolder(inUse.DomainId);
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException($"domain {inUse.DomainId}'s ring is already connected in this session{(holder is null ? "" : $" (drive {holder})")}: a guest has one ring. Use that drive, or Disconnect-XenStore it first.", inUse),
                "XenStore.RingInUse", ErrorCategory.ResourceBusy, DomainId));
            return;
        }
        catch (Transport.SshConnectException failed)
        {
            ThrowTerminatingError(SshErrors.Record(failed));
            return;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or XenStore.Client.XenStoreException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "XenStore.ConnectFailed", ErrorCategory.ConnectionError, Name));
            return;
        }
        XenStoreDriveInfo drive;
        try
        {
            connection.Client.RequestTimeout = TimeoutSec == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(TimeoutSec);
            drive = new XenStoreDriveInfo(Described(named, connection.Description),
                new DriveConnection(connection.Client, connection.EmbeddedDaemon, connection.Description), ownConnection: true);
        }
        catch
        {
            connection.Client.Dispose();
            connection.EmbeddedDaemon?.Dispose();
            throw;
        }
        WriteObject(Mount(drive));
    }

    /// <summary>What -HostName and its companions say, for the ssh transport; the connect is bounded by -TimeoutSec.</summary>
    private Transport.SshConnectionOptions SshOptions() => new(HostName)
    {
        UserName = UserName,
        Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null,
        KeyFilePath = KeyFilePath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(KeyFilePath),
        Options = Options?.Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => e.Key.ToString() ?? "", e => e.Value?.ToString() ?? "", StringComparer.OrdinalIgnoreCase)
            ?? new Dictionary<string, string>(),
        RemoteSocketPath = SocketPath,
        ConnectTimeout = TimeoutSec == 0 ? XenStoreConnector.RequestTimeout : TimeSpan.FromSeconds(TimeoutSec),
    };

    /// <summary>"h1" for "root@h1.example.com": a drive name is letters, digits, '-' and '_'.</summary>
    private string DriveNameOfHost(string host)
    {
        var name = host[(host.LastIndexOf('@') + 1)..].Split('.')[0];
        if (System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9_-]+$")) return name;
        ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{host}' gives no drive name (letters, digits, '-' and '_'): name the drive with -Name."),
            "XenStore.InvalidDriveName", ErrorCategory.InvalidArgument, host));
        return "";
    }

    /// <summary>
    /// Mounts <paramref name="drive"/>; a drive the engine refuses (a bad -Scope, say) is
    /// disposed, so its share of the connection (the client, an embedded daemon) goes with it.
    /// </summary>
    private PSDriveInfo Mount(XenStoreDriveInfo drive)
    {
        try
        {
            return SessionState.Drive.New(drive, Scope);
        }
        catch
        {
            drive.Dispose();
            throw;
        }
    }

    private static PSDriveInfo Described(PSDriveInfo drive, string connection) =>
        new(drive.Name, drive.Provider, drive.Root, $"XenStore ({connection})", null);

    private PSDriveInfo? ExistingDrive(string name)
    {
        try
        {
            return SessionState.Drive.Get(name);
        }
        catch (System.Management.Automation.DriveNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The drive of this session on domain <paramref name="domid"/>'s ring, if one is.</summary>
    private string? RingHolder(uint domid) =>
        SessionState.Drive.GetAllForProvider(XenStoreProvider.ProviderName).OfType<XenStoreDriveInfo>()
            .FirstOrDefault(d => d.Connection.StartsWith($"ring of domain {domid} (", StringComparison.Ordinal))?.Name;
}

/// <summary>
/// <para type="synopsis">Unmounts a XenStore drive and closes its connection.</para>
/// </summary>
/// <example><code>Connect-XenStore -Name scratch -Embedded | Out-Null; Disconnect-XenStore -Name scratch</code></example>
[Cmdlet(VerbsCommunications.Disconnect, "XenStore", SupportsShouldProcess = true)]
public sealed class DisconnectXenStoreCommand : XenStoreCmdlet
{
    /// <summary>The drive name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string Name { get; set; } = "";

    protected override void ProcessRecord()
    {
        // A drive that is not there is an error for this name only, as Remove-PSDrive has it
        // (-ErrorAction Ignore then lets a clean-up script go on).
        if (!SessionState.Drive.GetAllForProvider(XenStoreProvider.ProviderName).Any(d => string.Equals(d.Name, Name.TrimEnd(':'), StringComparison.OrdinalIgnoreCase)))
        {
            WriteError(new ErrorRecord(new System.Management.Automation.DriveNotFoundException($"There is no XenStore drive '{Name.TrimEnd(':')}:'."),
                "XenStore.DriveNotFound", ErrorCategory.ObjectNotFound, Name));
            return;
        }
        var drive = ResolveDrive(Name);
        if (!ShouldProcess($"{drive.Name}: ({drive.Connection})", "Disconnect XenStore drive")) return;
        // Removing the drive closes its connection (the provider's RemoveDrive).
        SessionState.Drive.Remove(drive.Name, force: true, "global");
    }
}
