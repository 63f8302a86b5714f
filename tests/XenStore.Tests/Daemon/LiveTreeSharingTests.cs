using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// The live store writes its newest arrays in place (<c>TreeEdit</c>); what a transaction has
/// seen must not move under it. A transaction keeps the directories it touched, so touching
/// one shares the live tree, and later live writes copy instead.
/// </summary>
public sealed class LiveTreeSharingTests : IDisposable
{
    private readonly XenStoreDaemon daemon = new(new DaemonOptions());

    public void Dispose() => daemon.Dispose();

    [Theory]
    [InlineData(3)]
    [InlineData(300)]
    public void ATransactionListsADirectoryAsItFirstSawItWhileLiveWritesGoIntoIt(int children)
    {
        var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
        for (var i = 0; i < children; i++) theirs.Ok(theirs.Write($"/d/n{i}", "0"));
        var tx = mine.StartTransaction();
        var listed = mine.SendIn(tx, MessageType.Directory, "/d").Text();
        for (var i = 0; i < children; i++) theirs.Ok(theirs.Write($"/d/n{i}", "1"));
        for (var i = 0; i < 50; i++) theirs.Ok(theirs.Write($"/d/added{i}", "x"));
        theirs.Ok(theirs.Send(MessageType.Rm, "/d/n1"));
        Assert.Equal(listed, mine.SendIn(tx, MessageType.Directory, "/d").Text());
        Assert.Equal("EAGAIN", mine.SendIn(tx, MessageType.TransactionEnd, "T").ErrorName());
        Assert.Contains("added49", theirs.Send(MessageType.Directory, "/d").Text());
    }
}
