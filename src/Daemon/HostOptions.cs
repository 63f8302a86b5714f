using System.Globalization;
using XenStore.Daemon;

namespace XenStore.Host;

/// <summary>The command line, in cxenstored's spelling where an option applies to this daemon.</summary>
internal sealed class HostOptions
{
    public string RunDirectory { get; private set; } =
        Environment.GetEnvironmentVariable("XENSTORED_RUNDIR") is { Length: > 0 } dir ? dir : "/var/run/xenstored";

    public string? SocketPath { get; private set; } = Environment.GetEnvironmentVariable("XENSTORED_PATH") is { Length: > 0 } p ? p : null;
    public string? PidFile { get; private set; }
    public string? TraceFile { get; private set; }
    public bool Verbose { get; private set; }
    public bool Help { get; private set; }
    public bool BareTree { get; private set; }
    public string? SimXenDirectory { get; private set; }
    public bool RealXen { get; private set; }
    public bool StrictDomains { get; private set; }
    public string? PersistPath { get; private set; }
    public XenStore.Daemon.Persistence.FsyncPolicy Fsync { get; private set; } = XenStore.Daemon.Persistence.FsyncPolicy.Interval;
    public long? SnapshotAfterBytes { get; private set; }
    public QuotaSettings Quotas { get; } = new();
    public TimeSpan WatchEventTimeout { get; private set; } = TimeSpan.FromSeconds(20);

    public string Socket => SocketPath ?? Path.Combine(RunDirectory, "socket");
    public string Pid => PidFile ?? Path.Combine(RunDirectory, "xenstored.pid");

    public const string Usage = """
        Usage: xenstored-ps [options]
        A XenStore daemon compatible with Xen's xenstored, serving a Unix socket.

          --rundir DIR                 run directory: socket at DIR/socket, pid file at DIR/xenstored.pid
                                       (default $XENSTORED_RUNDIR, else /var/run/xenstored)
          -F, --pid-file FILE          write the pid to FILE instead
          -E, --entry-nb NB            nodes a domain may own (default 1000)
          -S, --entry-size SIZE        largest node record in bytes (default 2048)
          -W, --watch-nb NB            watches per domain (default 128)
          -t, --transaction NB         open transactions per domain (default 10)
          -A, --perm-nb NB             permission entries per node (default 5)
          -M, --path-max LEN           longest path below a domain home (default and maximum 2048)
          -Q, --quota WHAT=NB          set a quota: outstanding, transaction-nodes, memory, nodes,
                                       watches, transactions, node-size, path-max, permissions
          -q, --quota-soft memory=NB   soft memory quota (warning only)
          -w, --timeout watch-event=S  discard watch events a guest leaves unread for S seconds
                                       (default 20; 0 keeps them)
          -T, --trace-file FILE        trace every message to FILE
          -V, --verbose                log every message to standard output
          -N, --no-fork                accepted for compatibility (this daemon never forks)
              --sim-xen DIR            serve guests on rings through the simulated hypervisor in DIR
                                       (DIR/D/ring, DIR/D/daemon.evtchn, DIR/D/guest.evtchn; see README)
              --xen                    serve guests on rings on real Xen (dom0: libxenevtchn, libxengnttab,
                                       libxenctrl); fails at once, saying what is missing, without Xen
              --strict-domains         only dom0 and introduced domains exist: SET_PERMS may not name an owner
                                       before its INTRODUCE (default: every domid below 32752 exists without
                                       a hypervisor; with --sim-xen until sim-destroy; with --xen as Xen says)
              --persist FILE           keep the store across restarts: journal FILE.journal.N, snapshot
                                       FILE.snapshot (a change is journalled before it is acknowledged)
              --fsync POLICY           always (every change on disk before its reply), interval (default:
                                       survives a daemon crash at once, the disk every second), never
              --snapshot-after BYTES   snapshot the store once the journal has grown by BYTES (default 16 MiB)
              --bare                   start with cxenstored's bare tree (/ and /tool/xenstored only)
          -h, --help                   show this help

        Environment: XENSTORED_RUNDIR (run directory), XENSTORED_PATH (socket path).
        Stop with SIGTERM or Ctrl+C.
        """;

    public static HostOptions Parse(string[] args)
    {
        var o = new HostOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n : throw new ArgumentException($"{arg} needs a whole number");
            switch (arg)
            {
                case "--rundir": o.RunDirectory = Value(); o.SocketPath = null; break;
                case "-F" or "--pid-file": o.PidFile = Value(); break;
                case "-E" or "--entry-nb": o.Quotas.Nodes = Number(); break;
                case "-S" or "--entry-size": o.Quotas.NodeSize = Number(); break;
                case "-W" or "--watch-nb": o.Quotas.Watches = Number(); break;
                case "-t" or "--transaction": o.Quotas.Transactions = Number(); break;
                case "-A" or "--perm-nb": o.Quotas.Permissions = Number(); break;
                case "-M" or "--path-max": o.Quotas.PathMax = Math.Min(Number(), 2048); break;
                case "-Q" or "--quota": o.SetQuota(Value(), soft: false); break;
                case "-q" or "--quota-soft": o.SetQuota(Value(), soft: true); break;
                case "-w" or "--timeout": o.SetTimeout(Value()); break;
                case "-T" or "--trace-file": o.TraceFile = Value(); break;
                case "-V" or "--verbose": o.Verbose = true; break;
                case "-N" or "--no-fork": break;
                case "--bare": o.BareTree = true; break;
                case "--sim-xen": o.SimXenDirectory = Value(); break;
                case "--xen": o.RealXen = true; break;
                case "--strict-domains": o.StrictDomains = true; break;
                case "--persist": o.PersistPath = Value(); break;
                case "--fsync":
                    o.Fsync = Enum.TryParse<XenStore.Daemon.Persistence.FsyncPolicy>(Value(), ignoreCase: true, out var policy)
                        ? policy : throw new ArgumentException("--fsync takes always, interval or never");
                    break;
                case "--snapshot-after": o.SnapshotAfterBytes = Number(); break;
                case "-h" or "--help": o.Help = true; break;
                default: throw new ArgumentException($"unknown option '{arg}'");
            }
        }
        return o;
    }

    private void SetQuota(string assignment, bool soft)
    {
        var (name, value) = NameAndNumber(assignment, "quota");
        if (!Quotas.TrySet((soft ? "soft-" : "") + name, value))
            throw new ArgumentException($"unknown quota '{name}'");
    }

    /// <summary>cxenstored's -w: only the watch-event timeout applies to this daemon.</summary>
    private void SetTimeout(string assignment)
    {
        var (name, seconds) = NameAndNumber(assignment, "timeout");
        if (name != "watch-event") throw new ArgumentException($"unknown timeout '{name}' (this daemon has watch-event)");
        WatchEventTimeout = TimeSpan.FromSeconds(seconds);
    }

    private static (string Name, int Value) NameAndNumber(string assignment, string what)
    {
        var eq = assignment.IndexOf('=');
        if (eq <= 0 || !int.TryParse(assignment[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new ArgumentException($"{what} '{assignment}' is not NAME=NUMBER");
        return (assignment[..eq], value);
    }
}
