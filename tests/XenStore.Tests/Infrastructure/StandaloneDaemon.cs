using System.Diagnostics;

namespace XenStore.Tests.Infrastructure;

/// <summary>
/// Our daemon as its own process (src/Daemon), started with a command line and stopped with
/// SIGTERM: the JIT host (dotnet xenstored-ps.dll) unless the native one (./build.sh native) is asked for.
/// </summary>
public sealed class StandaloneDaemon : IDisposable
{
    private readonly Process process;

    private readonly bool deleteRunDir;

    private StandaloneDaemon(Process process, string runDir, bool deleteRunDir)
    {
        this.process = process;
        RunDir = runDir;
        this.deleteRunDir = deleteRunDir;
    }

    public string RunDir { get; }
    public string SocketPath => Path.Combine(RunDir, "socket");
    public int Pid => process.Id;

    /// <summary>True once the process has ended (crashed, or stopped or killed by the test).</summary>
    public bool HasExited => process.HasExited;

    /// <summary>What the daemon printed up to its "serving" line (recovery reports among it).</summary>
    public List<string> Output { get; } = [];

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>The built host: src/Daemon/bin/&lt;same configuration as the tests&gt;/net8.0/xenstored-ps.dll.</summary>
    public static string HostAssembly
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            var path = Path.Combine(TestEnvironment.RepoRoot, "src", "Daemon", "bin", configuration, "net8.0", "xenstored-ps.dll");
            if (!File.Exists(path)) throw new InvalidOperationException($"The daemon host is not built: {path}");
            return path;
        }
    }

    /// <summary>The Native AOT host ./build.sh native publishes: artifacts/native/xenstored-ps (it may not be there).</summary>
    public static string NativeExecutable => Path.Combine(TestEnvironment.RepoRoot, "artifacts", "native", "xenstored-ps");

    /// <summary>
    /// Why a test of the native host cannot run here, or null when it can: the executable is
    /// missing outside CI. Under CI (CI=true) a missing host is a broken setup, and the test
    /// runs, to fail in <see cref="Start"/> saying so.
    /// </summary>
    public static string? NativeHostMissing =>
        File.Exists(NativeExecutable) || TestEnvironment.IsCI ? null
            : $"the native daemon host is not built ({NativeExecutable}); ./build.sh native builds it, ./build.sh test too";

    /// <summary>Starts the daemon in a fresh run directory and waits for its "serving" line.</summary>
    public static StandaloneDaemon Start(IEnumerable<string>? extraArgs = null, IDictionary<string, string>? environment = null, string? runDir = null, bool native = false)
    {
        if (native && !File.Exists(NativeExecutable))
            throw new InvalidOperationException($"The native daemon host is not built: {NativeExecutable}. Run ./build.sh native (./build.sh test and .ci/run build it).");
        var ownRunDir = runDir is null;
        runDir ??= TestEnvironment.NewRunDir("d");
        var psi = new ProcessStartInfo(native ? NativeExecutable : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = runDir,
        };
        if (!native) psi.ArgumentList.Add(HostAssembly);
        psi.ArgumentList.Add("--rundir");
        psi.ArgumentList.Add(runDir);
        foreach (var a in extraArgs ?? []) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        var daemon = new StandaloneDaemon(process, runDir, ownRunDir);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(deadline - DateTime.UtcNow) || line.Result is null)
            {
                var error = process.HasExited ? process.StandardError.ReadToEnd() : "(still running)";
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"daemon did not start: {string.Join("\n", daemon.Output)} {error}");
            }
            daemon.Output.Add(line.Result);
            if (line.Result.Contains("serving", StringComparison.Ordinal)) break;
        }
        return daemon;
    }

    /// <summary>
    /// Reads standard output past the "serving" line until a line matches (it is returned and
    /// kept in <see cref="Output"/>), or null when the time is up or the output ends.
    /// </summary>
    public string? WaitForOutput(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            pendingLine ??= process.StandardOutput.ReadLineAsync();
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !pendingLine.Wait(left)) return null;
            var line = pendingLine.Result;
            pendingLine = null;
            if (line is null) return null;
            Output.Add(line);
            if (match(line)) return line;
        }
    }

    /// <summary>A read of standard output that has not completed yet.</summary>
    private Task<string?>? pendingLine;

    /// <summary>Sends SIGTERM and waits for an orderly exit; returns the exit code.</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        if (process.HasExited) return process.ExitCode;
        TestEnvironment.Run("/bin/kill", ["-TERM", process.Id.ToString()]);
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(10))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>What the daemon wrote to stderr, once it has exited.</summary>
    public string StandardError =>
        process.HasExited ? process.StandardError.ReadToEnd() : throw new InvalidOperationException("the daemon is still running");

    public void Dispose()
    {
        Stop();
        process.Dispose();
        if (deleteRunDir)
            try { Directory.Delete(RunDir, recursive: true); } catch (IOException) { }
    }
}
