using System.Diagnostics;

namespace XenStore.Tests.Infrastructure;

/// <summary>Where the repository, the shared reference tooling and the external tools are.</summary>
public static class TestEnvironment
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>True under CI, where a missing tool is always a failure.</summary>
    public static bool IsCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The checkout (the folder holding XenStorePS.sln).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The shared reference tooling: XENSTOREPS_SHARED, else "shared" beside the checkout.</summary>
    public static string SharedDir =>
        Environment.GetEnvironmentVariable("XENSTOREPS_SHARED") is { Length: > 0 } dir
            ? dir
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>Scripts that run the reference daemons.</summary>
    public static string AnchorDir => Path.Combine(SharedDir, "anchor");

    /// <summary>Where start-anchor.sh unpacks Xen's binaries.</summary>
    public static string XenCache => Environment.GetEnvironmentVariable("XEN_ANCHOR_CACHE") is { Length: > 0 } c ? c : "/tmp/xen";

    /// <summary>Xen's own test-xenstore, unpacked by the first anchor start.</summary>
    public static string TestXenstore => Path.Combine(XenCache, "usr/lib/xen-4.17/bin/test-xenstore");

    /// <summary>
    /// Fails the test with a clear message when an external tool is missing. There is no skip:
    /// CI installs every tool, so a missing one is a broken setup, not a reason to pass.
    /// </summary>
    public static string RequireTool(string name)
    {
        var path = name.Contains('/') ? name : FindOnPath(name);
        if (path is null || !File.Exists(path))
            throw new InvalidOperationException(
                $"'{name}' is needed by this test and is not installed. Run .ci/run (or the README's test command), which installs it " +
                "(--filter \"Needs!=peers&Needs!=afl\" leaves out the tests that need the real peers).");
        return path;
    }

    /// <summary>A fresh, short directory for sockets (AF_UNIX paths must stay under 108 bytes).</summary>
    public static string NewRunDir(string tag)
    {
        var dir = Path.Combine("/tmp", $"xsps-{tag}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs a program to completion and returns its exit code, stdout and stderr.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutMs = 60_000, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in {timeoutMs} ms");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "XenStorePS.sln"))) return dir.FullName;
        throw new InvalidOperationException("XenStorePS.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>What a finished process printed.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
