using System.Net.Sockets;
using XenStore.Client;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Client;

/// <summary>Connecting to a socket that is not there or not served says so, and names the path.</summary>
public sealed class ConnectionFailureTests
{
    [Fact]
    public async Task AMissingSocketSaysNoSuchFile()
    {
        var missing = Path.Combine(TestEnvironment.NewRunDir("missing"), "no-socket-here");
        var error = await Assert.ThrowsAsync<XenStoreConnectionException>(() => XenStoreClient.ConnectSocketAsync(missing));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("no such file", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Cannot assign requested address", error.Message, StringComparison.Ordinal);
        Assert.IsType<SocketException>(error.InnerException);
        Directory.Delete(Path.GetDirectoryName(missing)!, recursive: true);
    }

    [Fact]
    public async Task ASocketNobodyServesSaysConnectionRefused()
    {
        var runDir = TestEnvironment.NewRunDir("refused");
        var socketPath = Path.Combine(runDir, "socket");
        // Bound and not listening: connecting is refused, as on the socket file of a daemon that died.
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(socketPath));
        var error = await Assert.ThrowsAsync<XenStoreConnectionException>(() => XenStoreClient.ConnectSocketAsync(socketPath));
        Assert.Contains(socketPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("is xenstored running?", error.Message, StringComparison.Ordinal);
        Directory.Delete(runDir, recursive: true);
    }

    [Fact]
    public async Task AutoReconnectOutlivesADaemonRestartAndRegistersWatchesAgain()
    {
        var runDir = TestEnvironment.NewRunDir("autore");
        try
        {
            var daemon = StandaloneDaemon.Start(runDir: runDir);
            await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
            client.AutoReconnect = true;
            await client.WriteAsync("/before", "1");
            await using var watch = await client.WatchAsync("/watched");
            Assert.Equal("/watched", (await watch.ReadAsync())!.Path);

            daemon.Kill();
            await WaitUntil(() => !client.IsConnected);
            // Nothing serves: the one reconnect fails, and says why.
            var down = await Assert.ThrowsAsync<XenStoreConnectionException>(() => client.ReadStringAsync("/local/domain/0/name"));
            Assert.Contains("could not be reopened", down.Message, StringComparison.Ordinal);
            Assert.Contains("connection refused", down.Message, StringComparison.Ordinal);

            using var restarted = StandaloneDaemon.Start(runDir: runDir);
            Assert.Equal("Domain-0", await client.ReadStringAsync("/local/domain/0/name"));
            // The watch is back: it fires once on its return, then for changes.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal("/watched", (await watch.ReadAsync(timeout.Token))!.Path);
            await client.WriteAsync("/watched", "x");
            Assert.Equal("/watched", (await watch.ReadAsync(timeout.Token))!.Path);
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public async Task WithoutAutoReconnectALostConnectionStaysLost()
    {
        using var daemon = StandaloneDaemon.Start();
        await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
        daemon.Kill();
        await WaitUntil(() => !client.IsConnected);
        await Assert.ThrowsAsync<XenStoreConnectionException>(() => client.ReadStringAsync("/local/domain/0/name"));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(condition(), "timed out waiting");
    }
}

/// <summary>The environment's socket (XENSTORED_PATH): alone, since the variable is the process's.</summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class ConfiguredSocketTests
{
    [Fact]
    public async Task AnUnreachableXenstoredPathIsAnErrorNamingItNotAFallback()
    {
        var missing = Path.Combine(TestEnvironment.NewRunDir("cfg"), "mistyped");
        var saved = Environment.GetEnvironmentVariable("XENSTORED_PATH");
        Environment.SetEnvironmentVariable("XENSTORED_PATH", missing);
        try
        {
            Assert.Equal(missing, UnixSocketTransport.ConfiguredPath);
            var error = await Assert.ThrowsAsync<XenStoreConnectionException>(() => XenStoreClient.ConnectAsync());
            Assert.Contains($"XENSTORED_PATH names {missing}", error.Message, StringComparison.Ordinal);
            Assert.Contains("no such file", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XENSTORED_PATH", saved);
            Directory.Delete(Path.GetDirectoryName(missing)!, recursive: true);
        }
    }
}

/// <summary>Tests that change the process's environment run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;
