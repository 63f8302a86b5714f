using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// oxenstored's replay at commit: a transaction whose nodes changed outside is run again on the
/// current store and commits if every request gets the reply its client was given; otherwise
/// EAGAIN, with nothing of the replay left. Each test pairs a conflict that only the replay
/// can commit with one it must still refuse.
/// </summary>
public sealed class TransactionReplayTests : IDisposable
{
    private readonly XenStoreDaemon daemon = new(new DaemonOptions());

    public void Dispose() => daemon.Dispose();

    private static Message End(InProcessClient c, uint tx) => c.SendIn(tx, MessageType.TransactionEnd, "T");

    [Fact]
    public void ABlindWriteCommitsOverAnOutsideWriteAndItsValueStays()
    {
        var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
        mine.Ok(mine.Write("/r/a", "0"));
        var tx = mine.StartTransaction();
        mine.Ok(mine.Write("/r/a", "mine", tx));
        theirs.Ok(theirs.Write("/r/a", "theirs"));
        Assert.Equal("OK|", End(mine, tx).Text());
        Assert.Equal("mine", mine.Send(MessageType.Read, "/r/a").Text());
    }

    [Fact]
    public void AReadRewrittenWithTheSameValueCommitsButAChangedReadIsEagain()
    {
        var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
        mine.Ok(mine.Write("/r/a", "0"));

        var same = mine.StartTransaction();
        Assert.Equal("0", mine.SendIn(same, MessageType.Read, "/r/a").Text());
        mine.Ok(mine.Write("/r/b", "from-same", same));
        theirs.Ok(theirs.Write("/r/a", "0"));
        Assert.Equal("OK|", End(mine, same).Text());
        Assert.Equal("from-same", mine.Send(MessageType.Read, "/r/b").Text());

        var changed = mine.StartTransaction();
        Assert.Equal("0", mine.SendIn(changed, MessageType.Read, "/r/a").Text());
        mine.Ok(mine.Write("/r/b", "from-changed", changed));
        theirs.Ok(theirs.Write("/r/a", "1"));
        Assert.Equal("EAGAIN", End(mine, changed).ErrorName());
        Assert.Equal("from-same", mine.Send(MessageType.Read, "/r/b").Text());
    }

    [Fact]
    public void AListingWithTheSameChildrenCommitsButASiblingAddedIsEagain()
    {
        var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
        mine.Ok(mine.Write("/r/d/x", "0"));

        // A child added and removed again: the parent changed, its listing did not.
        var same = mine.StartTransaction();
        Assert.Equal("x|", mine.SendIn(same, MessageType.Directory, "/r/d").Text());
        mine.Ok(mine.Write("/r/d/x", "1", same));
        theirs.Ok(theirs.Send(MessageType.Mkdir, "/r/d/passing"));
        theirs.Ok(theirs.Send(MessageType.Rm, "/r/d/passing"));
        Assert.Equal("OK|", End(mine, same).Text());

        var changed = mine.StartTransaction();
        Assert.Equal("x|", mine.SendIn(changed, MessageType.Directory, "/r/d").Text());
        mine.Ok(mine.Write("/r/d/x", "2", changed));
        theirs.Ok(theirs.Send(MessageType.Mkdir, "/r/d/sibling"));
        Assert.Equal("EAGAIN", End(mine, changed).ErrorName());
        Assert.Equal("1", mine.Send(MessageType.Read, "/r/d/x").Text());
    }

    [Fact]
    public void AChildAddedWithoutAListingCommitsBesideASiblingAddedOutside()
    {
        var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
        mine.Ok(mine.Send(MessageType.Mkdir, "/r/d"));
        var tx = mine.StartTransaction();
        mine.Ok(mine.SendIn(tx, MessageType.Rm, "/r/d/mine"));
        mine.Ok(mine.SendIn(tx, MessageType.Mkdir, "/r/d/mine"));
        mine.Ok(mine.Write("/r/d/mine/leaf", "1", tx));
        theirs.Ok(theirs.Write("/r/d/theirs", "1"));
        Assert.Equal("OK|", End(mine, tx).Text());
        Assert.Equal("theirs|mine|", mine.Send(MessageType.Directory, "/r/d").Text());
        Assert.Equal("1", mine.Send(MessageType.Read, "/r/d/mine/leaf").Text());
    }

    [Fact]
    public void AReplayedWriteThePermissionsNowRefuseIsEagainAndAppliesNothing()
    {
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        dom0.Ok(dom0.Write("/local/domain/5/data/a", "0"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data", "n5"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data/a", "n5"));
        var guest = new InProcessClient(daemon, 5, privileged: false);

        // An outside write the guest may still overwrite: the replay commits.
        var allowed = guest.StartTransaction();
        guest.Ok(guest.Write("data/a", "mine", allowed));
        guest.Ok(guest.Write("data/b", "mine", allowed));
        dom0.Ok(dom0.Write("/local/domain/5/data/a", "dom0"));
        Assert.Equal("OK|", End(guest, allowed).Text());
        Assert.Equal("mine", dom0.Send(MessageType.Read, "/local/domain/5/data/a").Text());

        // The node taken from the guest: the replayed write answers EACCES, so EAGAIN.
        var refused = guest.StartTransaction();
        guest.Ok(guest.Write("data/a", "again", refused));
        guest.Ok(guest.Write("data/c", "again", refused));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data/a", "n0"));
        Assert.Equal("EAGAIN", End(guest, refused).ErrorName());
        Assert.Equal("mine", dom0.Send(MessageType.Read, "/local/domain/5/data/a").Text());
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/5/data/c").ErrorName());
        Assert.Equal("n0|", dom0.Send(MessageType.GetPerms, "/local/domain/5/data/a").Text());
    }

    [Fact]
    public void OnlyATransactionWithinTheLogsBoundsIsReplayed()
    {
        // (requests, value bytes, replayed) at each bound: requests, then payload bytes (16
        // writes of 4009 bytes with their replies fit in 64 KiB, 17 do not).
        var cases = new[]
        {
            (TransactionLog.MaxRequests, 1, true),
            (TransactionLog.MaxRequests + 1, 1, false),
            (16, 4000, true),
            (17, 4000, false),
        };
        var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
        foreach (var (requests, valueBytes, replayed) in cases)
        {
            mine.Ok(mine.Write("/r/n0", "0"));
            var value = new string('v', valueBytes);
            var tx = mine.StartTransaction();
            for (var i = 0; i < requests; i++) mine.Ok(mine.Write($"/r/n{i % 8}", value, tx));
            theirs.Ok(theirs.Write("/r/n0", "theirs"));
            var reply = End(mine, tx);
            Assert.Equal(replayed ? null : "EAGAIN", reply.ErrorName());
            Assert.Equal(replayed ? value : "theirs", mine.Send(MessageType.Read, "/r/n0").Text());
        }
    }

    [Fact]
    public void AReplayedCommitFiresItsWatchEventsOnceAndTheOriginalsNever()
    {
        var (mine, theirs, watcher) = (new InProcessClient(daemon), new InProcessClient(daemon), new InProcessClient(daemon));
        mine.Ok(mine.Write("/r/w/a", "0"));
        watcher.Ok(watcher.Send(MessageType.Watch, "/r/w", "t"));
        var tx = mine.StartTransaction();
        mine.Ok(mine.Write("/r/w/a", "1", tx));
        mine.Ok(mine.Write("/r/w/a", "2", tx));
        mine.Ok(mine.Write("/r/w/b", "1", tx));
        theirs.Ok(theirs.Write("/r/w/a", "theirs"));
        Assert.Equal("OK|", End(mine, tx).Text());
        watcher.Ok(watcher.Send(MessageType.Read, "/r/w/a"));
        Assert.Equal(["/r/w", "/r/w/a", "/r/w/a", "/r/w/b"], watcher.Events.Select(e => e.Path));
    }

    [Fact]
    public void ANodeOfTheDaemonsOwnChangedBySetPermsOfASpecialNameIsNotReplayed()
    {
        var (mine, theirs) = (new InProcessClient(daemon), new InProcessClient(daemon));
        mine.Ok(mine.Write("/r/a", "0"));

        var plain = mine.StartTransaction();
        mine.Ok(mine.Write("/r/a", "plain", plain));
        theirs.Ok(theirs.Write("/r/a", "theirs"));
        Assert.Equal("OK|", End(mine, plain).Text());

        // Special watch permissions change at once, outside the transaction: running that
        // again at commit could undo a change made since, so this one is not replayed.
        var special = mine.StartTransaction();
        mine.Ok(mine.Write("/r/a", "special", special));
        mine.Ok(mine.SendIn(special, MessageType.SetPerms, "@releaseDomain", "n0", "r5"));
        theirs.Ok(theirs.Write("/r/a", "theirs"));
        Assert.Equal("EAGAIN", End(mine, special).ErrorName());
        Assert.Equal("theirs", mine.Send(MessageType.Read, "/r/a").Text());
    }
}
