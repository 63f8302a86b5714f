using System.Management.Automation;
using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Ring;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>A XenStore daemon hosted in this session.</summary>
public sealed class XenStoreDaemonInfo : IDisposable
{
    internal XenStoreDaemonInfo(XenStoreDaemon daemon, UnixSocketServer server, string runDirectory)
    {
        Daemon = daemon;
        Server = server;
        RunDirectory = runDirectory;
    }

    public XenStoreDaemon Daemon { get; }
    internal UnixSocketServer Server { get; }
    public string RunDirectory { get; }
    public string SocketPath => Server.SocketPath;
    public int NodeCount => Daemon.NodeCount;
    public int Connections => Server.SessionCount;

    public void Dispose()
    {
        Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Daemon.Dispose();
    }

    /// <summary>Daemons started in this process, by run directory.</summary>
    internal static readonly Dictionary<string, XenStoreDaemonInfo> Running = new(StringComparer.Ordinal);
}

/// <summary>
/// <para type="synopsis">Hosts a XenStore daemon in this session, serving DIR/socket.</para>
/// <para type="description">The daemon answers as Xen's xenstored does; xenstore-* tools reach it with XENSTORED_PATH=DIR/socket. -SimXen serves guests on rings through the simulated hypervisor; -PersistPath keeps the store across restarts; -Quota and -WatchEventTimeoutSec bound what each guest domain may make the daemon hold.</para>
/// </summary>
/// <example><code>$run = Join-Path ([IO.Path]::GetTempPath()) "xs-example-$PID"; Start-XenStoreDaemon -RunDirectory $run; Connect-XenStore -Name hosted -SocketPath "$run/socket"; Disconnect-XenStore hosted; Stop-XenStoreDaemon $run</code></example>
/// <example><code>$run = Join-Path ([IO.Path]::GetTempPath()) "xs-example-$PID"; Start-XenStoreDaemon $run -SimXen "$run/sim" -Quota @{ memory = 1MB; nodes = 2000; 'soft-memory' = 512KB } -WatchEventTimeoutSec 60; Stop-XenStoreDaemon $run</code></example>
[Cmdlet(VerbsLifecycle.Start, "XenStoreDaemon", SupportsShouldProcess = true)]
[OutputType(typeof(XenStoreDaemonInfo))]
public sealed class StartXenStoreDaemonCommand : PSCmdlet
{
    /// <summary>The directory the daemon serves: its socket is DIR/socket (created if missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string RunDirectory { get; set; } = "";

    /// <summary>Serve guests through the simulated hypervisor in this directory.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string? SimXen { get; set; }

    /// <summary>Journal and snapshot base path: the store survives restarts.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string? PersistPath { get; set; }

    /// <summary>Start with cxenstored's bare tree instead of dom0's boot-time nodes.</summary>
    [Parameter]
    public SwitchParameter Bare { get; set; }

    /// <summary>Only dom0 and introduced domains exist (SET_PERMS names no other owner), as with xenstored-ps --strict-domains; by default every domain id below 32752 exists, or with -SimXen every domain not destroyed.</summary>
    [Parameter]
    public SwitchParameter StrictDomains { get; set; }

    /// <summary>Per-domain quotas by their GET_QUOTA names (nodes, watches, transactions, outstanding, transaction-nodes, memory, node-size, path-max, permissions, soft-memory); the rest keep cxenstored's defaults.</summary>
    [Parameter]
    public System.Collections.Hashtable? Quota { get; set; }

    /// <summary>Seconds a watch event may wait for a guest that does not read it before it is discarded (default 20; 0 keeps events).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int WatchEventTimeoutSec { get; set; } = 20;

    protected override void EndProcessing()
    {
        var dir = SessionState.Path.GetUnresolvedProviderPathFromPSPath(RunDirectory);
        if (!ShouldProcess(dir, "Start XenStore daemon")) return;
        lock (XenStoreDaemonInfo.Running)
        {
            if (XenStoreDaemonInfo.Running.ContainsKey(dir))
                ThrowTerminatingError(DaemonRunning(new XenStoredRunningException(Path.Combine(dir, "socket"), Environment.ProcessId), dir));
            var quotas = Quotas();
            Directory.CreateDirectory(dir);
            // Claimed before the store is loaded: another daemon (this session's under another
            // spelling of the path, another session's, the standalone host) may serve it.
            DaemonInstanceLock instance;
            try
            {
                instance = DaemonInstanceLock.Acquire(Path.Combine(dir, "socket"));
            }
            catch (XenStoredRunningException running)
            {
                ThrowTerminatingError(DaemonRunning(running, dir));
                return;
            }
            XenStoreDaemon? daemon = null;
            UnixSocketServer server;
            try
            {
                daemon = NewDaemon();
                server = UnixSocketServer.Start(daemon, Path.Combine(dir, "socket"), instance);
            }
            catch (Exception ex)
            {
                // The server owns the lock once started; until then it is ours to give back.
                // The daemon goes too: its rings, its journal and the journal's fsync timer.
                instance.Dispose();
                daemon?.Dispose();
                if (ex is SocketUnavailableException unavailable)
                    ThrowTerminatingError(new ErrorRecord(unavailable, "XenStore.SocketUnavailable", ErrorCategory.ResourceUnavailable, dir));
                throw;
            }
            var info = new XenStoreDaemonInfo(daemon, server, dir);
            XenStoreDaemonInfo.Running[dir] = info;
            WriteObject(info);

            XenStoreDaemon NewDaemon() => new(new DaemonOptions
            {
                Quotas = quotas,
                WatchEventTimeout = TimeSpan.FromSeconds(WatchEventTimeoutSec),
                CreateDom0Nodes = !Bare,
                RingPlatform = SimXen is null ? null : new SimulatedXen(SessionState.Path.GetUnresolvedProviderPathFromPSPath(SimXen)),
                Persistence = PersistPath is null ? null : new PersistenceOptions(SessionState.Path.GetUnresolvedProviderPathFromPSPath(PersistPath)),
                StrictDomains = StrictDomains,
            });
        }
    }

    /// <summary>XenStore.DaemonRunning: "xenstored already running (pid N)", for the run directory.</summary>
    private static ErrorRecord DaemonRunning(XenStoredRunningException running, string dir) =>
        new(running, "XenStore.DaemonRunning", ErrorCategory.ResourceExists, dir);

    /// <summary>cxenstored's defaults with -Quota's entries applied; an unknown name or a value that is not a whole number stops the command.</summary>
    private QuotaSettings Quotas()
    {
        var quotas = new QuotaSettings();
        foreach (System.Collections.DictionaryEntry entry in Quota ?? new System.Collections.Hashtable())
        {
            var name = entry.Key.ToString() ?? "";
            if (!LanguagePrimitives.TryConvertTo<int>(entry.Value, out var value) || value < 0 || !quotas.TrySet(name, value))
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{name} = {entry.Value}' is not a quota: names are {QuotaSettings.Names}, values whole numbers (0 switches a quota off)."),
                    "XenStore.BadQuota", ErrorCategory.InvalidArgument, entry));
        }
        return quotas;
    }
}

/// <summary>
/// <para type="synopsis">Stops a XenStore daemon hosted in this session.</para>
/// </summary>
/// <example><code>$run = Join-Path ([IO.Path]::GetTempPath()) "xs-example-$PID"; Start-XenStoreDaemon $run | Out-Null; Stop-XenStoreDaemon -RunDirectory $run</code></example>
[Cmdlet(VerbsLifecycle.Stop, "XenStoreDaemon", SupportsShouldProcess = true)]
public sealed class StopXenStoreDaemonCommand : PSCmdlet
{
    /// <summary>The run directory the daemon was started with (objects from Start-XenStoreDaemon can be piped in).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string RunDirectory { get; set; } = "";

    protected override void ProcessRecord()
    {
        var dir = SessionState.Path.GetUnresolvedProviderPathFromPSPath(RunDirectory);
        XenStoreDaemonInfo? info;
        lock (XenStoreDaemonInfo.Running)
        {
            if (!XenStoreDaemonInfo.Running.Remove(dir, out info))
            {
                WriteError(new ErrorRecord(new InvalidOperationException($"No daemon of this session serves {dir}."), "XenStore.DaemonNotFound", ErrorCategory.ObjectNotFound, dir));
                return;
            }
        }
        if (ShouldProcess(dir, "Stop XenStore daemon")) info.Dispose();
        else lock (XenStoreDaemonInfo.Running) XenStoreDaemonInfo.Running[dir] = info;
    }
}
