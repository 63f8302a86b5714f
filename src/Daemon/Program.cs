using System.Runtime;
using System.Runtime.InteropServices;
using XenStore.Daemon;

namespace XenStore.Host;

/// <summary>The standalone daemon: parse the command line, serve the socket until SIGTERM or Ctrl+C.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        CollectorBudgets.Apply();

        // Run socket completions on the event loop thread instead of hopping to the thread pool:
        // each request is a short, non-blocking burst under the daemon lock, so the hop would
        // cost more than the work (it nearly doubles throughput with 100 connections). Read
        // once, when the first socket is used, hence before anything else.
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

        HostOptions options;
        try
        {
            options = HostOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"xenstored-ps: {ex.Message}\n\n{HostOptions.Usage}");
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(HostOptions.Usage);
            return 0;
        }

        XenStore.Ring.IRingPlatform? platform;
        try
        {
            platform = options.RealXen ? new XenStore.Ring.Xen.XenRingPlatform()
                : options.SimXenDirectory is null ? null
                : new XenStore.Ring.SimulatedXen(options.SimXenDirectory);
        }
        catch (PlatformNotSupportedException ex)
        {
            await Console.Error.WriteLineAsync($"xenstored-ps: cannot use Xen: {ex.Message}");
            return 1;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Socket))!);
        // Claimed before the store is loaded: a second daemon must not replay a journal the first is writing.
        DaemonInstanceLock instance;
        try
        {
            instance = DaemonInstanceLock.Acquire(options.Socket, options.Pid);
        }
        catch (XenStoredRunningException ex)
        {
            await Console.Error.WriteLineAsync($"xenstored-ps: {ex.Message}");
            return 1;
        }
        using var trace = options.TraceFile is null ? null : new StreamWriter(options.TraceFile, append: true) { AutoFlush = true };
        // -T and -V both take the trace of every message: the file, standard output, or both.
        TextWriter? traceWriter = (trace, options.Verbose) switch
        {
            (null, false) => null,
            (null, true) => Console.Out,
            (_, false) => TextWriter.Synchronized(trace),
            _ => TextWriter.Synchronized(new TeeWriter(trace, Console.Out)),
        };
        // The request path is compiled (by use, on a scratch daemon) while the store loads, so
        // the first client does not wait for the JIT.
        var warmUp = Task.Run(() => RequestPathWarmUp.RunAsync());
        var daemon = CreateDaemon(new DaemonOptions
        {
            Quotas = options.Quotas,
            WatchEventTimeout = options.WatchEventTimeout,
            CreateDom0Nodes = !options.BareTree,
            RingPlatform = platform,
            Persistence = options.PersistPath is null ? null
                : options.SnapshotAfterBytes is { } snapshotAfter
                    ? new XenStore.Daemon.Persistence.PersistenceOptions(options.PersistPath) { Fsync = options.Fsync, SnapshotAfterBytes = snapshotAfter }
                    : new XenStore.Daemon.Persistence.PersistenceOptions(options.PersistPath) { Fsync = options.Fsync },
            Trace = traceWriter,
            StrictDomains = options.StrictDomains,
        });
        if (daemon is null)
        {
            instance.Dispose();
            return 1;
        }
        // The old generation is collected when the daemon's store has made garbage worth it, not
        // each time a growing store doubles (XENSTORED_PS_OLD_GENERATION=runtime leaves it to the collector).
        var oldGeneration = Environment.GetEnvironmentVariable("XENSTORED_PS_OLD_GENERATION") == "runtime"
            ? null : OldGenerationSchedule.Start(() => daemon.NodeCount);
        // With -V the daemon's own log has already shown them.
        if (!options.Verbose)
            foreach (var line in daemon.RecoveryReport) Console.WriteLine($"xenstored-ps: recovery: {line}");

        var stop = new TaskCompletionSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });

        // Shutdown order: stop accepting (the server, first), then the rings and the journal
        // (the daemon), then the platform, through which the rings unbind their event channels.
        try
        {
            // The server writes the pid file, and removes it with the socket when it stops.
            await warmUp;
            UnixSocketServer server;
            try
            {
                server = UnixSocketServer.Start(daemon, options.Socket, instance);
            }
            catch (SocketUnavailableException ex)
            {
                // The server gave the lock back; the daemon and the platform go below.
                await Console.Error.WriteLineAsync($"xenstored-ps: {ex.Message}");
                return 1;
            }
            await using (server)
            {
                Console.WriteLine($"xenstored-ps: serving {options.Socket} (pid {Environment.ProcessId})");
                await stop.Task;
            }
        }
        finally
        {
            // The schedule reads the daemon's node count: it stops first.
            oldGeneration?.Dispose();
            daemon.Dispose();
            (platform as IDisposable)?.Dispose();
        }
        Console.WriteLine("xenstored-ps: stopped");
        return 0;
    }

    /// <summary>The daemon, or null (with the reason on stderr) when its persisted store cannot be read.</summary>
    private static XenStoreDaemon? CreateDaemon(DaemonOptions options)
    {
        // Recovery grows the heap from nothing to the whole store before anyone is served:
        // collections then only copy what is about to be kept anyway, and background ones
        // make it slower still (a restart of 1M nodes after kill -9 took 1.2-1.6 s with them,
        // 0.74 s with none; bench/results.md, Restart). Up to RecoveryHeap none runs until the
        // store is back, for a peak of about 45 MB more.
        var noCollections = options.Persistence is not null && TryPauseCollections();
        try
        {
            return new XenStoreDaemon(options);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"xenstored-ps: cannot recover the store: {ex.Message}");
            return null;
        }
        finally
        {
            if (noCollections && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }

    /// <summary>Allocation the recovery may make without a collection (1M nodes and a full journal tail take about 450 MB).</summary>
    private const long RecoveryHeap = 512L << 20;

    private static bool TryPauseCollections()
    {
        try
        {
            return GC.TryStartNoGCRegion(RecoveryHeap);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // more than this runtime allows at once: collections go on as usual
        }
    }
}
