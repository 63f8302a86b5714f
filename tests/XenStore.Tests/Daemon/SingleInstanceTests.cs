using XenStore.Client;
using XenStore.Daemon;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>One daemon per run directory: a second is refused, a dead one's leftovers are taken over.</summary>
public sealed class SingleInstanceTests
{
    [Fact]
    public async Task ASecondHostOnTheSameRunDirectoryIsRefusedAndTheFirstKeepsServing()
    {
        using var first = StandaloneDaemon.Start();
        var second = TestEnvironment.Run("dotnet", [StandaloneDaemon.HostAssembly, "--rundir", first.RunDir], timeoutMs: 30_000);
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains($"xenstored already running (pid {first.Pid})", second.Stderr, StringComparison.Ordinal);
        Assert.Equal($"{first.Pid}\n", File.ReadAllText(Path.Combine(first.RunDir, "xenstored.pid")));
        await using var client = await XenStoreClient.ConnectSocketAsync(first.SocketPath);
        Assert.Equal("Domain-0", await client.ReadStringAsync("/local/domain/0/name"));
    }

    [Fact]
    public async Task TheSocketAndPidFileOfAKilledDaemonAreTakenOver()
    {
        var runDir = TestEnvironment.NewRunDir("stale");
        try
        {
            var killed = StandaloneDaemon.Start(runDir: runDir);
            killed.Kill();
            Assert.True(File.Exists(Path.Combine(runDir, "socket")), "kill -9 leaves the socket file behind");
            Assert.True(File.Exists(Path.Combine(runDir, "xenstored.pid")), "kill -9 leaves the pid file behind");
            using var next = StandaloneDaemon.Start(runDir: runDir);
            await using var client = await XenStoreClient.ConnectSocketAsync(next.SocketPath);
            Assert.Equal("Domain-0", await client.ReadStringAsync("/local/domain/0/name"));
            Assert.Equal($"{next.Pid}\n", File.ReadAllText(Path.Combine(runDir, "xenstored.pid")));
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public async Task ASecondServerInTheSameProcessIsRefusedAndAStoppedOneLeavesItsPlaceFree()
    {
        var runDir = TestEnvironment.NewRunDir("twice");
        var socket = Path.Combine(runDir, "socket");
        using var daemon = new XenStoreDaemon();
        try
        {
            var server = UnixSocketServer.Start(daemon, socket);
            var refused = Assert.Throws<XenStoredRunningException>(() => UnixSocketServer.Start(daemon, socket));
            Assert.Equal(Environment.ProcessId, refused.Pid);
            Assert.Contains($"xenstored already running (pid {Environment.ProcessId})", refused.Message, StringComparison.Ordinal);
            await server.DisposeAsync();
            Assert.False(File.Exists(Path.Combine(runDir, "xenstored.pid")), "a stopped server removes its pid file");
            await using var again = UnixSocketServer.Start(daemon, socket);
            await using var client = await XenStoreClient.ConnectSocketAsync(socket);
            Assert.Equal("Domain-0", await client.ReadStringAsync("/local/domain/0/name"));
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public void AnotherXenstoredAnsweringOnTheSocketIsNotTakenOver()
    {
        var runDir = TestEnvironment.NewRunDir("foreign");
        var socket = Path.Combine(runDir, "socket");
        try
        {
            // Not one of ours (no lock file), but it answers: cxenstored, say.
            using var foreign = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            foreign.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            foreign.Listen();
            using var daemon = new XenStoreDaemon();
            var refused = Assert.Throws<XenStoredRunningException>(() => UnixSocketServer.Start(daemon, socket));
            Assert.Contains("xenstored already running", refused.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(socket), "the other daemon's socket stays");
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public async Task AHostWhoseSocketCannotBeMadeSaysSoExitsWithOneAndLeavesThePlaceFree()
    {
        var runDir = TestEnvironment.NewRunDir("unbindable-host");
        try
        {
            // Something else where the socket goes: the bind fails after the store is loaded.
            Directory.CreateDirectory(Path.Combine(runDir, "socket", "not-a-socket"));
            var store = Path.Combine(runDir, "store");
            var failed = TestEnvironment.Run("dotnet", [StandaloneDaemon.HostAssembly, "--rundir", runDir, "--persist", store], timeoutMs: 30_000);
            Assert.Equal(1, failed.ExitCode);
            Assert.StartsWith($"xenstored-ps: cannot serve {runDir}/socket: ", failed.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", failed.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(runDir, "xenstored.pid")), "a host that never served leaves no pid file");

            Directory.Delete(Path.Combine(runDir, "socket"), recursive: true);
            using var next = StandaloneDaemon.Start(["--persist", store], runDir: runDir);
            await using var client = await XenStoreClient.ConnectSocketAsync(next.SocketPath);
            Assert.Equal("Domain-0", await client.ReadStringAsync("/local/domain/0/name"));
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public void AServerWhoseSocketPathIsTooLongSaysSoAndGivesTheLockBack()
    {
        var runDir = TestEnvironment.NewRunDir("long");
        try
        {
            var deep = Path.Combine(runDir, new string('d', 100));
            Directory.CreateDirectory(deep);
            var socket = Path.Combine(deep, "socket");
            using var daemon = new XenStoreDaemon();
            var instance = DaemonInstanceLock.Acquire(socket);
            var unavailable = Assert.Throws<SocketUnavailableException>(() => UnixSocketServer.Start(daemon, socket, instance));
            Assert.Equal(socket, unavailable.SocketPath);
            Assert.Contains("too long for a Unix socket", unavailable.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(deep, "xenstored.pid")));
            // The lock was given back: it can be taken again at once.
            DaemonInstanceLock.Acquire(socket).Dispose();
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
