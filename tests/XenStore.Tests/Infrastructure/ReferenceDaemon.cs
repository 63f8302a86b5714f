namespace XenStore.Tests.Infrastructure;

/// <summary>
/// A real reference daemon (cxenstored or oxenstored from Xen 4.17) started through the
/// shared anchor scripts in its own run directory, stopped on dispose.
/// </summary>
public sealed class ReferenceDaemon : IDisposable
{
    private ReferenceDaemon(string kind, string runDir, int pid)
    {
        Kind = kind;
        RunDir = runDir;
        Pid = pid;
    }

    /// <summary>"cxenstored" or "oxenstored".</summary>
    public string Kind { get; }

    public string RunDir { get; }

    public string SocketPath => Path.Combine(RunDir, "socket");

    /// <summary>The daemon's process id, for CPU accounting.</summary>
    public int Pid { get; }

    /// <summary>The fake hypervisor's control FIFO ("kill 7", "shutdown 7", "create 9").</summary>
    public string ControlFifo => Path.Combine(RunDir, "anchor-ctl");

    /// <summary>
    /// Starts <paramref name="kind"/>. <paramref name="domains"/> is ANCHOR_DOMAINS (domids the
    /// fake hypervisor reports as existing); <paramref name="extraArgs"/> is ANCHOR_EXTRA_ARGS.
    /// </summary>
    public static ReferenceDaemon Start(string kind, string? domains = null, string? extraArgs = null)
    {
        var script = Path.Combine(TestEnvironment.AnchorDir, "start-anchor.sh");
        if (!File.Exists(script))
            throw new InvalidOperationException($"The reference-daemon scripts are missing ({script}); the shared tooling must sit beside the checkout.");
        var runDir = TestEnvironment.NewRunDir(kind[..1]);
        var env = new Dictionary<string, string>();
        if (domains is not null) env["ANCHOR_DOMAINS"] = domains;
        if (extraArgs is not null) env["ANCHOR_EXTRA_ARGS"] = extraArgs;
        var result = TestEnvironment.Run("/bin/bash", [script, kind, runDir], env, timeoutMs: 600_000);
        if (result.ExitCode != 0 || !int.TryParse(result.Stdout.Trim(), out var pid))
            throw new InvalidOperationException($"start-anchor.sh {kind} failed: {result}");
        return new ReferenceDaemon(kind, runDir, pid);
    }

    /// <summary>Tells the fake hypervisor that a domain changed state.</summary>
    public void Hypervisor(string command) => File.WriteAllText(ControlFifo, command + "\n");

    public void Dispose()
    {
        TestEnvironment.Run("/bin/bash", [Path.Combine(TestEnvironment.AnchorDir, "stop-anchor.sh"), RunDir], timeoutMs: 30_000);
        try { Directory.Delete(RunDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
