using System.Diagnostics;

namespace XenStore.Tests.Infrastructure;

/// <summary>Our daemon as its own process (src/Daemon), started with a command line and stopped with SIGTERM.</summary>
public sealed class StandaloneDaemon : IDisposable
{
    private readonly Process process;

    private StandaloneDaemon(Process process, string runDir)
    {
        this.process = process;
        RunDir = runDir;
    }

    public string RunDir { get; }
    public string SocketPath => Path.Combine(RunDir, "socket");
    public int Pid => process.Id;

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

    /// <summary>Starts the daemon in a fresh run directory and waits for its "serving" line.</summary>
    public static StandaloneDaemon Start(IEnumerable<string>? extraArgs = null, IDictionary<string, string>? environment = null, string? runDir = null)
    {
        runDir ??= TestEnvironment.NewRunDir("d");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = runDir,
        };
        psi.ArgumentList.Add(HostAssembly);
        psi.ArgumentList.Add("--rundir");
        psi.ArgumentList.Add(runDir);
        foreach (var a in extraArgs ?? []) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(30)) || ready.Result?.Contains("serving", StringComparison.Ordinal) != true)
        {
            var error = process.HasExited ? process.StandardError.ReadToEnd() : "(still running)";
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"daemon did not start: {ready.Result} {error}");
        }
        return new StandaloneDaemon(process, runDir);
    }

    /// <summary>Sends SIGTERM and waits for an orderly exit; returns the exit code.</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        if (process.HasExited) return process.ExitCode;
        TestEnvironment.Run("/bin/kill", ["-TERM", process.Id.ToString()]);
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(10))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose()
    {
        Stop();
        process.Dispose();
        try { Directory.Delete(RunDir, recursive: true); } catch (IOException) { }
    }
}
