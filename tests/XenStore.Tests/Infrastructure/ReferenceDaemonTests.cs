namespace XenStore.Tests.Infrastructure;

[Trait("Needs", "peers")]
public sealed class ReferenceDaemonTests
{
    [Theory]
    [InlineData("cxenstored")]
    [InlineData("oxenstored")]
    public void StartsAndAnswersXenstoreRead(string kind)
    {
        using var daemon = ReferenceDaemon.Start(kind);
        var read = TestEnvironment.Run(TestEnvironment.RequireTool("xenstore-ls"), ["/tool"],
            new Dictionary<string, string> { ["XENSTORED_PATH"] = daemon.SocketPath });
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("xenstored", read.Stdout);
    }
}
