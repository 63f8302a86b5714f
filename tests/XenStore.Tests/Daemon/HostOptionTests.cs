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
