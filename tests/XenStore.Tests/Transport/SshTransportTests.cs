using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Transport;

/// <summary>
/// How the SSH transport reads ssh's failures, with a stand-in ssh (a shell script that answers
/// as OpenSSH does and records its arguments): each cause is its own <see cref="SshFailure"/>,
/// nothing waits past the connect timeout, and the ssh it started does not outlive the attempt.
/// The real thing, against sshd servers, is tests/Pester/Remoting.Tests.ps1.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshTransportTests : IDisposable
{
    private readonly string dir = TestEnvironment.NewRunDir("ssh");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A stand-in ssh that appends its arguments (one a line) to args.txt, then runs <paramref name="body"/>.</summary>
    private string FakeSsh(string body)
    {
        var path = Path.Combine(dir, "ssh");
        File.WriteAllText(path, $"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '{dir}/args.txt'\necho $$ >> '{dir}/pids.txt'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static SshConnectionOptions Options(string ssh, string? remoteSocket = null) => new("h1")
    {
        UserName = "root",
        Port = 2222,
        SshPath = ssh,
        RemoteSocketPath = remoteSocket,
        Options = new Dictionary<string, string> { ["HostKeyAlias"] = "h1", ["BatchMode"] = "no" },
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };

    private static async Task<SshConnectException> Refused(SshConnectionOptions options) =>
        await Assert.ThrowsAsync<SshConnectException>(() => SshTransport.ConnectAsync(options).WaitAsync(TimeSpan.FromSeconds(20)));

    [Fact]
    public async Task AMissingSshIsSshNotFound()
    {
        var failed = await Refused(Options(Path.Combine(dir, "no-ssh-here")));
        Assert.Equal(SshFailure.SshNotFound, failed.Failure);
        Assert.Equal("h1", failed.Host);
    }

    [Theory]
    [InlineData("root@127.0.0.1: Permission denied (publickey).", SshFailure.LoginRefused)]
    [InlineData("Host key verification failed.", SshFailure.HostKeyUnknown)]
    [InlineData("ssh: connect to host 127.0.0.1 port 2222: Connection refused", SshFailure.HostUnreachable)]
    [InlineData("ssh: Could not resolve hostname h1: Name or service not known", SshFailure.HostUnreachable)]
    [InlineData("kex_exchange_identification: read: Connection reset by peer", SshFailure.Failed)]
    public async Task SshsMessageNamesTheCause(string said, SshFailure expected)
    {
        var failed = await Refused(Options(FakeSsh($"echo '{said}' >&2; exit 255")));
        Assert.Equal(expected, failed.Failure);
        Assert.Contains(said, failed.Message, StringComparison.Ordinal);
        Assert.Contains("root@h1:2222", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHostWithoutTheSocketIsRemoteDaemonUnavailableNamingIt()
    {
        // The remote shell command prints the socket it found and fails its test -S.
        var failed = await Refused(Options(FakeSsh("echo 'xenstored-socket=/run/xs-nowhere/socket'; exit 1")));
        Assert.Equal(SshFailure.RemoteDaemonUnavailable, failed.Failure);
        Assert.Contains("/run/xs-nowhere/socket", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCallersOptionsComeFirstAndTheTunnelFailsFast()
    {
        await Refused(Options(FakeSsh("echo 'ssh: connect to host h1 port 2222: Connection refused' >&2; exit 255"), "/run/xenstored/socket"));
        var args = File.ReadAllLines(Path.Combine(dir, "args.txt"));
        // ssh keeps the first value of an option: the caller's BatchMode=no must precede ours.
        Assert.True(Array.IndexOf(args, "BatchMode=no") < Array.IndexOf(args, "BatchMode=yes"));
        Assert.Contains("ExitOnForwardFailure=yes", args);
        Assert.Contains("-N", args);
        Assert.Contains("ConnectTimeout=2", args);
        var forward = args[Array.IndexOf(args, "-L") + 1];
        Assert.EndsWith(":/run/xenstored/socket", forward, StringComparison.Ordinal);
        Assert.Equal("h1", args[^1]);
        Assert.Equal(["-l", "root"], args.Skip(Array.IndexOf(args, "-l")).Take(2));
        // The private directory of the local socket went with the failed attempt.
        Assert.False(Directory.Exists(Path.GetDirectoryName(forward[..forward.LastIndexOf(':')])));
    }

    [Fact]
    public async Task AHostThatNeverAnswersTimesOutAndItsSshIsKilled()
    {
        var started = DateTime.UtcNow;
        var failed = await Refused(Options(FakeSsh("exec sleep 60")));
        Assert.Equal(SshFailure.TimedOut, failed.Failure);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "bounded by ConnectTimeout");
        var pid = int.Parse(File.ReadAllLines(Path.Combine(dir, "pids.txt"))[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(IsRunning(pid), $"the stand-in ssh {pid} still runs");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
