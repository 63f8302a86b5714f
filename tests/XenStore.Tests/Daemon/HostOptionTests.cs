using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>The standalone daemon's resource options, in cxenstored's spelling.</summary>
public sealed class HostOptionTests
{
    [Fact]
    public void MemoryQuotasAndTheEventTimeoutAreTakenFromTheCommandLine()
    {
        using var daemon = StandaloneDaemon.Start(["-Q", "memory=100000", "-q", "memory=50000", "-w", "watch-event=5"]);
        using var client = new RawSocketClient(daemon.SocketPath);
        Assert.Matches(@"memory\s+:\s+100000 ", client.Send(MessageType.Control, "quota").Text());
        Assert.Matches(@"memory\s+:\s+50000 ", client.Send(MessageType.Control, "quota-soft").Text());
    }

    [Fact]
    public void VerboseLogsEveryMessageToStandardOutput()
    {
        using var daemon = StandaloneDaemon.Start(["-V"]);
        using var client = new RawSocketClient(daemon.SocketPath);
        client.Write("/verbose/first", "1");
        client.Send(MessageType.Read, "/verbose/second");
        Assert.NotNull(daemon.WaitForOutput(line => line.Contains("Write", StringComparison.Ordinal) && line.Contains("/verbose/first", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        Assert.NotNull(daemon.WaitForOutput(line => line.Contains("Read", StringComparison.Ordinal) && line.Contains("/verbose/second", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void WithoutVerboseMessagesAreNotLogged()
    {
        using var daemon = StandaloneDaemon.Start();
        using var client = new RawSocketClient(daemon.SocketPath);
        client.Write("/quiet/first", "1");
        Assert.Null(daemon.WaitForOutput(line => line.Contains("/quiet/first", StringComparison.Ordinal), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void VerboseAndTraceFileBothGetEveryMessage()
    {
        var traceDir = TestEnvironment.NewRunDir("trace");
        try
        {
            var traceFile = Path.Combine(traceDir, "trace");
            using (var daemon = StandaloneDaemon.Start(["-V", "-T", traceFile]))
            {
                using var client = new RawSocketClient(daemon.SocketPath);
                client.Write("/both/x", "1");
                Assert.NotNull(daemon.WaitForOutput(line => line.Contains("/both/x", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
            }
            Assert.Contains("/both/x", File.ReadAllText(traceFile), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(traceDir, recursive: true);
        }
    }

    [Fact]
    public void StrictDomainsRefusesAnOwnerNotYetIntroduced()
    {
        foreach (var (args, reply) in new[] { (Array.Empty<string>(), "OK|"), (["--strict-domains"], "ENOENT|") })
        {
            using var daemon = StandaloneDaemon.Start(args);
            using var client = new RawSocketClient(daemon.SocketPath);
            client.Send(MessageType.Mkdir, "/local/domain/7");
            Assert.Equal(reply, client.Send(MessageType.SetPerms, "/local/domain/7", "n7", "r0").Text());
            client.Send(MessageType.Introduce, "7", "1", "1");
            Assert.Equal("OK|", client.Send(MessageType.SetPerms, "/local/domain/7", "n7", "r0").Text());
        }
    }

    [Theory]
    [InlineData("-w", "transaction=3", "unknown timeout 'transaction'")]
    [InlineData("-w", "watch-event", "is not NAME=NUMBER")]
    [InlineData("-Q", "memory=lots", "is not NAME=NUMBER")]
    public void AMistakenOptionIsRefusedWithAReason(string option, string value, string reason)
    {
        var runDir = TestEnvironment.NewRunDir("badopt");
        var result = TestEnvironment.Run("dotnet", [StandaloneDaemon.HostAssembly, "--rundir", runDir, option, value]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(reason, result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(runDir, "socket")), "a refused daemon serves nothing");
        Directory.Delete(runDir, recursive: true);
    }
}
