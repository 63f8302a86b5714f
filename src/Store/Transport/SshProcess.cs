using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace XenStore.Transport;

/// <summary>
/// One ssh child process: started with the user's ssh configuration plus the options that make
/// it fail fast instead of asking (BatchMode, ConnectTimeout), its standard error kept for
/// messages, and killed when disposed, or when this process exits, so no ssh outlives its owner.
/// </summary>
internal sealed class SshProcess : IDisposable
{
    private static readonly ConcurrentDictionary<SshProcess, byte> Running = new();
    private readonly Process process;
    private readonly StringBuilder errors = new();
    private readonly StringBuilder output = new();
    private readonly string? ownedDirectory;
    private readonly int watchdogId;
    private int disposed;

    static SshProcess()
    {
        // A normal exit of the session (exit, end of a script) must not leave tunnels behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private SshProcess(Process process, string? ownedDirectory)
    {
        this.process = process;
        this.ownedDirectory = ownedDirectory;
        watchdogId = process.Id;
    }

    private volatile int sshId;

    /// <summary>
    /// The ssh process id (kept: messages name it after the process is gone), or the
    /// watchdog's until ssh's is known.
    /// </summary>
    public int Id => sshId != 0 ? sshId : watchdogId;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>What ssh wrote on standard error so far (the last 4 KiB), trimmed.</summary>
    public string ErrorOutput
    {
        get { lock (errors) return errors.ToString().Trim(); }
    }

    /// <summary>What ssh wrote on standard output so far (a remote command's answer).</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>
    /// Runs ssh ("$@") under a watchdog shell that holds a pipe from this process and tells its
    /// pid on standard output: when this process ends, however it ends (kill -9 too), the pipe
    /// closes and the watchdog kills ssh, so no link outlives its owner, and removes the link's
    /// directory (XSPS_SSH_DIRECTORY) after it. Its exit status is ssh's.
    /// </summary>
    private const string Watchdog = """
        exec 3<&0
        "$@" </dev/null &
        ssh=$!
        echo "xsps-ssh-pid=$ssh"
        { while read -r _; do :; done; kill "$ssh" 2>/dev/null; } <&3 &
        watch=$!
        exec 3<&-
        wait "$ssh"
        status=$?
        kill "$watch" 2>/dev/null
        [ -n "$XSPS_SSH_DIRECTORY" ] && rm -rf "$XSPS_SSH_DIRECTORY"
        exit "$status"
        """;

    private const string PidMarker = "xsps-ssh-pid=";

    /// <summary>
    /// Starts ssh with <paramref name="options"/> and then <paramref name="arguments"/> (the
    /// host name and a remote command, if any). <paramref name="ownedDirectory"/> (a tunnel's
    /// local socket lives there) is removed with the process, whoever ends it.
    /// </summary>
    public static SshProcess Start(SshConnectionOptions options, IEnumerable<string> arguments, string? ownedDirectory = null)
    {
        if (Executable(options.SshPath) is not { } program)
            throw new SshConnectException(SshFailure.SshNotFound, options.HostName,
                $"Cannot run {options.SshPath} to reach {options}: it is not found (is OpenSSH's client installed?)");
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            // The watchdog's pipe: never written, closed by the end of this process.
            RedirectStandardInput = true,
        };
        foreach (var a in (string[])["-c", Watchdog, "xsps-ssh", program]) start.ArgumentList.Add(a);
        if (ownedDirectory is not null) start.Environment["XSPS_SSH_DIRECTORY"] = ownedDirectory;
        foreach (var a in CommonArguments(options)) start.ArgumentList.Add(a);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("/bin/sh did not start");
        }
        catch (Win32Exception e)
        {
            throw new SshConnectException(SshFailure.SshNotFound, options.HostName,
                $"Cannot run {options.SshPath} to reach {options}: {e.Message}", e);
        }
        var ssh = new SshProcess(process, ownedDirectory);
        Running[ssh] = 0;
        process.ErrorDataReceived += (_, e) => Append(ssh.errors, e.Data);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith(PidMarker, StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(PidMarker.Length), CultureInfo.InvariantCulture, out var pid))
                ssh.sshId = pid;
            else Append(ssh.output, e.Data);
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return ssh;
    }

    /// <summary>
    /// The user's options first (ssh takes the first value it is given for an option, so
    /// theirs win), then ours: never prompt, bounded connect, notice a dead link, no sharing of
    /// a connection-multiplexing master whose lifetime is not ours.
    /// </summary>
    private static List<string> CommonArguments(SshConnectionOptions o)
    {
        var args = new List<string> { "-n" };
        foreach (var (name, value) in o.Options) args.AddRange(["-o", $"{name}={value}"]);
        if (o.UserName is { } user) args.AddRange(["-l", user]);
        if (o.Port is { } port) args.AddRange(["-p", port.ToString(CultureInfo.InvariantCulture)]);
        if (o.KeyFilePath is { } key) args.AddRange(["-i", key]);
        var seconds = Math.Max(1, (int)Math.Ceiling(o.ConnectTimeout.TotalSeconds));
        args.AddRange([
            "-o", "BatchMode=yes",
            "-o", $"ConnectTimeout={seconds}",
            "-o", "ServerAliveInterval=10",
            "-o", "ServerAliveCountMax=3",
            "-o", "ControlMaster=no",
            "-o", "ControlPath=none",
        ]);
        return args;
    }

    private static void KillSsh(int pid)
    {
        if (pid == 0) return;
        try
        {
            using var ssh = Process.GetProcessById(pid);
            ssh.Kill();
        }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
        catch (Win32Exception) { }
    }

    /// <summary>The program at <paramref name="path"/>, or found on PATH; null when there is none.</summary>
    private static string? Executable(string path)
    {
        if (path.Contains('/', StringComparison.Ordinal)) return File.Exists(path) ? Path.GetFullPath(path) : null;
        return (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, path)).FirstOrDefault(File.Exists);
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null) return;
        lock (buffer)
        {
            buffer.Append(line).Append('\n');
            if (buffer.Length > 4096) buffer.Remove(0, buffer.Length - 4096);
        }
    }

    /// <summary>Waits for ssh to exit, up to <paramref name="timeout"/>; true if it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// The failure ssh's exit and message describe, as an exception naming the host and quoting
    /// ssh (OpenSSH's messages are stable: they are what scripts and users grep for).
    /// </summary>
    public SshConnectException Failure(SshConnectionOptions options, string what)
    {
        var said = ErrorOutput;
        var failure =
            said.Contains("Permission denied", StringComparison.Ordinal) ? SshFailure.LoginRefused
            : said.Contains("Host key verification failed", StringComparison.Ordinal)
              || said.Contains("host key is known", StringComparison.Ordinal)
              || said.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal) ? SshFailure.HostKeyUnknown
            : said.Contains("Could not resolve hostname", StringComparison.Ordinal)
              || said.Contains("Connection refused", StringComparison.Ordinal)
              || said.Contains("No route to host", StringComparison.Ordinal)
              || said.Contains("Network is unreachable", StringComparison.Ordinal) ? SshFailure.HostUnreachable
            : said.Contains("timed out", StringComparison.OrdinalIgnoreCase) ? SshFailure.TimedOut
            : said.Contains("open failed", StringComparison.Ordinal) ? SshFailure.RemoteDaemonUnavailable
            : SshFailure.Failed;
        var exit = process.HasExited ? $"ssh exited with status {process.ExitCode}" : "ssh";
        var reason = failure switch
        {
            SshFailure.LoginRefused => "the host refused the login (no key it accepts for this user)",
            SshFailure.HostKeyUnknown => "the host's key is not in known_hosts (or has changed); connect once with ssh to check and record it",
            SshFailure.HostUnreachable => "the host cannot be reached",
            SshFailure.TimedOut => "the host did not answer in time",
            SshFailure.RemoteDaemonUnavailable => "no xenstored serves the socket there",
            _ => "ssh failed",
        };
        return new SshConnectException(failure, options.HostName,
            $"Cannot {what} {options}: {reason} ({exit}{(said.Length == 0 ? "" : ": " + LastLines(said))}).");
    }

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" / ", lines.TakeLast(3));
    }

    /// <summary>Kills ssh (if it still runs) and waits for it, so nothing of it is left.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        Running.TryRemove(this, out _);
        try
        {
            if (!process.HasExited)
            {
                // ssh first: the watchdog, its parent, reaps it and ends (removing the directory);
                // killing the watchdog first would leave ssh to be reaped by init, some time later.
                KillSsh(sshId);
                if (!process.WaitForExit(2000)) process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        catch (Win32Exception) { }
        process.Dispose();
        if (ownedDirectory is not null) DeleteDirectory(ownedDirectory);
    }

    public static void DeleteDirectory(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Every ssh this process started and still runs (process exit; the module's removal).</summary>
    public static void KillAll()
    {
        foreach (var ssh in Running.Keys) ssh.Dispose();
    }
}
