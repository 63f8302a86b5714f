using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>A commit made by a replay is journalled like any commit: it comes back after a restart.</summary>
public sealed class ReplayedCommitPersistenceTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewRunDir("replay-persist");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private XenStoreDaemon Open() => new(new DaemonOptions { Persistence = new PersistenceOptions(Path.Combine(directory, "store")) });

    [Fact]
    public void AReplayedCommitIsJournalledAndSurvivesARestart()
    {
        using (var daemon = Open())
        {
            var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
            mine.Ok(mine.Write("/p/a", "0"));
            var tx = mine.StartTransaction();
            mine.Ok(mine.Write("/p/a", "mine", tx));
            mine.Ok(mine.Write("/p/new/leaf", "made", tx));
            theirs.Ok(theirs.Write("/p/a", "theirs"));
            theirs.Ok(theirs.Write("/p/other", "theirs"));
            Assert.Equal("OK|", mine.SendIn(tx, MessageType.TransactionEnd, "T").Text());
        }
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("mine", c.Send(MessageType.Read, "/p/a").Text());
            Assert.Equal("made", c.Send(MessageType.Read, "/p/new/leaf").Text());
            Assert.Equal("theirs", c.Send(MessageType.Read, "/p/other").Text());
        }
    }
}
