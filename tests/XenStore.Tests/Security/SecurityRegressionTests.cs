using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;
using XenStore.Tree;

namespace XenStore.Tests.Security;

/// <summary>
/// Attacks that broke earlier xenstoreds (xenstored-security.md), replayed against ours. Each
/// test names its advisory; the daemon must answer correctly, stay bounded and keep serving.
/// </summary>
public sealed class SecurityRegressionTests : IDisposable
{
    private readonly XenStoreDaemon daemon = new(new DaemonOptions { Quotas = new QuotaSettings { Nodes = 50, Watches = 5, Transactions = 2 } });
    private readonly InProcessClient dom0;

    public SecurityRegressionTests()
    {
        dom0 = new InProcessClient(daemon);
        foreach (var d in new[] { "5", "6" })
        {
            dom0.Ok(dom0.Send(MessageType.Introduce, d, "1", "1"));
            dom0.Ok(dom0.Send(MessageType.Mkdir, $"/local/domain/{d}/data"));
            dom0.Ok(dom0.Send(MessageType.SetPerms, $"/local/domain/{d}", "n0", $"r{d}"));
            dom0.Ok(dom0.Send(MessageType.SetPerms, $"/local/domain/{d}/data", $"n{d}"));
        }
    }

    public void Dispose() => daemon.Dispose();

    private InProcessClient Guest(uint domid) => new(daemon, domid, privileged: false);

    private void StillServes() => Assert.Equal("OK|", dom0.Write("/health/check", Guid.NewGuid().ToString()).Text());

    [Fact]
    public void Xsa115_AWatchOnTheRootSeesNothingItMayNotRead()
    {
        var spy = Guest(6);
        spy.Ok(spy.Send(MessageType.Watch, "/", "spy"));
        Guest(5).Ok(Guest(5).Write("data/private", "secret"));
        dom0.Ok(dom0.Write("/local/domain/0/secret", "x"));
        Thread.Sleep(50);
        Assert.DoesNotContain(spy.Events, e => e.Path.Contains("private", StringComparison.Ordinal) || e.Path.Contains("secret", StringComparison.Ordinal));
        spy.Ok(spy.Send(MessageType.Watch, "@releaseDomain", "rel"));
        dom0.Ok(dom0.Send(MessageType.Release, "5"));
        Thread.Sleep(50);
        Assert.Single(spy.Events, e => e.Token == "rel");
    }

    [Fact]
    public void Xsa322_Xsa417_Xsa419_AReusedDomidInheritsNothing()
    {
        var old = Guest(5);
        old.Ok(old.Write("data/left-behind", "x"));
        dom0.Ok(dom0.Write("/granted", "y"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/granted", "n0", "b5"));
        dom0.Ok(dom0.Send(MessageType.Release, "5"));
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        var reborn = Guest(5);
        Assert.Equal("EACCES", reborn.Send(MessageType.Read, "/granted").ErrorName());
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/5/data/left-behind").ErrorName());
    }

    [Fact]
    public void Xsa323_PathLengthIsCheckedAfterRelativePathsAreExpanded()
    {
        var g = Guest(5);
        Assert.Equal("EINVAL", g.Write("data/" + new string('a', 2100), "x").ErrorName());
        Assert.Equal("OK|", g.Write("data/" + new string('a', 2000), "x").Text());
    }

    [Fact]
    public void Xsa324_AnEventThatWouldBeTooBigIsDroppedNotFatal()
    {
        var g = Guest(5);
        var token = new string('t', 4000);
        g.Ok(g.Send(MessageType.Watch, "data/" + new string('p', 200), token));
        g.Ok(g.Write("data/" + new string('p', 200), "x"));
        StillServes();
    }

    [Fact]
    public void Xsa352_GuestsCannotGiveNodesAway()
    {
        var g = Guest(5);
        g.Ok(g.Write("data/mine", "x"));
        Assert.Equal("EPERM", g.Send(MessageType.SetPerms, "data/mine", "n0").ErrorName());
        Assert.Equal("EPERM", g.Send(MessageType.SetPerms, "data/mine", "b6").ErrorName());
    }

    [Fact]
    public void Xsa353_TheRootIsCheckedLikeAnyNode()
    {
        var g = Guest(5);
        Assert.Equal("EACCES", g.Write("/", "x").ErrorName());
        Assert.Equal("EACCES", g.Send(MessageType.SetPerms, "/", "b5").ErrorName());
        Assert.Equal("EACCES", g.Send(MessageType.Rm, "/tool").ErrorName());
        Assert.Equal("EACCES", g.Send(MessageType.Directory, "/").ErrorName());
    }

    [Fact]
    public void Xsa326_Xsa421_QuotasCountTheNetEffectOfTransactions()
    {
        var g = Guest(5);
        var tx = uint.Parse(g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
        // Fill the quota (50, with data/ itself), delete it all and fill it again, in one transaction.
        Assert.All(Enumerable.Range(0, 49), i => Assert.Equal("OK|", g.Write($"data/a{i}", "x", tx).Text()));
        Assert.Equal("ENOSPC", g.Write("data/one-too-many", "x", tx).ErrorName());
        Assert.All(Enumerable.Range(0, 49), i => Assert.Equal("OK|", g.SendIn(tx, MessageType.Rm, $"data/a{i}").Text()));
        Assert.All(Enumerable.Range(0, 49), i => Assert.Equal("OK|", g.Write($"data/b{i}", "x", tx).Text()));
        Assert.Equal("OK|", g.SendIn(tx, MessageType.TransactionEnd, "T").Text());
        Assert.Equal(50, daemon.Live.NodesOwnedBy(5));
        // Nothing was bypassed: the quota is full.
        Assert.Equal("ENOSPC", g.Write("data/after", "x").ErrorName());
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/5/data/a0").ErrorName());
        StillServes();
    }

    [Fact]
    public void Xsa418_ADeepTreeIsRemovedWithoutExhaustingTheStack()
    {
        var path = "/deep";
        for (var i = 0; i < 900; i++) path += "/d";
        dom0.Ok(dom0.Write(path, "bottom"));
        dom0.Ok(dom0.Send(MessageType.Watch, "/deep", "w"));
        dom0.Ok(dom0.Send(MessageType.Rm, "/deep"));
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/deep").ErrorName());
        StillServes();
    }

    [Fact]
    public void Xsa420_AnOversizeLengthClosesTheConnectionBeforeAllocating()
    {
        var connection = daemon.Connect(5, privileged: false, "attacker");
        var reader = new FrameReader();
        var header = new byte[Wire.HeaderSize];
        Wire.WriteHeader(header, MessageType.Write, 1, 0, int.MaxValue);
        reader.Append(header);
        Assert.Equal(FrameStatus.Oversize, connection.ProcessAvailable(reader));
        StillServes();
    }

    [Fact]
    public void Xsa425_Xsa233_ReleasingDomainsWhileTargetsPointAtThemIsClean()
    {
        dom0.Ok(dom0.Send(MessageType.SetTarget, "6", "5"));
        dom0.Ok(dom0.Send(MessageType.Release, "5"));
        Assert.Equal("ENOENT", dom0.Send(MessageType.Release, "5").ErrorName());
        var stub = Guest(6);
        Assert.Equal("ENOENT", stub.Send(MessageType.Read, "/local/domain/6/data/none").ErrorName());
        dom0.Ok(dom0.Send(MessageType.Release, "6"));
        StillServes();
    }

    [Fact]
    public void Xsa481_AHomePathWithATrailingSlashIsAnError()
    {
        Assert.Equal("EINVAL", dom0.Send(MessageType.Read, "/local/domain/").ErrorName());
        Assert.Equal("EINVAL", Guest(5).Send(MessageType.Read, "/local/domain/").ErrorName());
    }

    [Fact]
    public void Xsa483_AReusedDomidStartsWithFreshQuotaAccounting()
    {
        var g = Guest(5);
        for (var i = 0; i < 45; i++) g.Write($"data/n{i}", "x");
        dom0.Ok(dom0.Send(MessageType.Release, "5"));
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        dom0.Ok(dom0.Send(MessageType.Mkdir, "/local/domain/5/data"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data", "n5"));
        var reborn = Guest(5);
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal("OK|", reborn.Write($"data/m{i}", "x").Text()));
    }

    [Fact]
    public void Xsa484_ResetWatchesInsideATransactionEndsItCleanly()
    {
        var g = Guest(5);
        var tx = uint.Parse(g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
        g.Ok(g.Write("data/in-tx", "x", tx));
        g.Ok(g.SendIn(tx, MessageType.ResetWatches, ""));
        Assert.Equal("ENOENT", g.SendIn(tx, MessageType.TransactionEnd, "T").ErrorName());
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/5/data/in-tx").ErrorName());
        StillServes();
    }

    [Fact]
    public void Xsa330_Xsa512_TheWatchQuotaHoldsAcrossResets()
    {
        var g = Guest(5);
        for (var round = 0; round < 5; round++)
        {
            var replies = Enumerable.Range(0, 10).Select(i => g.Send(MessageType.Watch, "data", $"r{round}-{i}").Text()).ToList();
            Assert.Equal(5, replies.Count(r => r == "OK|"));
            g.Ok(g.Send(MessageType.ResetWatches, ""));
        }
        Assert.True(daemon.Watches.Count <= 5);
    }

    [Fact]
    public void Xsa440_ConflictsNeverCorruptAccounting()
    {
        var a = Guest(5);
        var b = Guest(5);
        for (var i = 0; i < 20; i++)
        {
            var ta = uint.Parse(a.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
            a.Write($"data/c{i}", "a", ta);
            b.Write($"data/c{i}", "b");
            a.SendIn(ta, MessageType.TransactionEnd, "T");
            b.Send(MessageType.Rm, $"data/c{i}");
        }
        Assert.Equal(1, daemon.Live.NodesOwnedBy(5));
        StillServes();
    }

    [Fact]
    public void Xsa325_AMisbehavingConnectionDoesNotTearItsDomainDown()
    {
        var g = Guest(5);
        g.Ok(g.Write("data/state", "kept"));
        dom0.Ok(dom0.Send(MessageType.Watch, "@releaseDomain", "rel"));
        var events = dom0.Events.Count;
        // The guest sends a message longer than the protocol allows: only its connection goes.
        var bad = daemon.Connect(5, privileged: false, "misbehaving domain 5");
        var reader = new FrameReader();
        var header = new byte[Wire.HeaderSize];
        Wire.WriteHeader(header, MessageType.Write, 1, 0, Wire.PayloadMax + 1);
        reader.Append(header);
        Assert.Equal(FrameStatus.Oversize, bad.ProcessAvailable(reader));
        bad.Close();
        Assert.Equal("T|", dom0.Send(MessageType.IsDomainIntroduced, "5").Text());
        Assert.Equal("kept", dom0.Send(MessageType.Read, "/local/domain/5/data/state").Text());
        Assert.DoesNotContain(dom0.Events.Skip(events), e => e.Token == "rel");
    }

    [Fact]
    public void Xsa414_AFailedCreationRollsBackEveryNodeAndCounter()
    {
        var g = Guest(5);
        for (var i = 1; i < 48; i++) g.Ok(g.Write($"data/fill{i}", "x"));
        var (nodes, memory) = Holdings(5);
        // Four new nodes are needed and two are left: nothing may be created.
        Assert.Equal("ENOSPC", g.Write("data/a/b/c/d", "x").ErrorName());
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/5/data/a").ErrorName());
        Assert.Equal((nodes, memory), Holdings(5));
        g.Ok(g.Write("data/a/b", "x"));
        Assert.Equal(50, daemon.Live.NodesOwnedBy(5));
    }

    [Fact]
    public void Xsa415_NothingHalfMadeInATransactionReachesTheStore()
    {
        var g = Guest(5);
        for (var i = 0; i < 46; i++) g.Ok(g.Write($"data/fill{i}", "x"));
        var tx = uint.Parse(g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
        Assert.Equal("ENOSPC", g.Write("data/x/y/z/w", "x", tx).ErrorName());
        g.Ok(g.Write("data/single", "x", tx));
        g.Ok(g.SendIn(tx, MessageType.TransactionEnd, "T"));
        // Every node has its parent, and the counts are those of a fresh walk.
        lock (daemon.Sync)
        {
            var all = NodeTree.Walk(daemon.Live.Root, "/").ToList();
            var paths = all.Select(e => e.Path).ToHashSet();
            Assert.All(all.Where(e => e.Path != "/"), e => Assert.Contains(XenStorePath.Parent(e.Path), paths));
            Assert.Equal(all.Count(e => e.Node.Permissions.Owner == 5), daemon.Live.NodesOwnedBy(5));
        }
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/5/data/x").ErrorName());
    }

    [Fact]
    public void Xsa272_TheNodeQuotaIsCheckedBeforeAnyChangeOnEveryPath()
    {
        var g = Guest(5);
        for (var i = 1; i < 50; i++) g.Ok(g.Write($"data/n{i}", "x"));
        Assert.Equal(50, daemon.Live.NodesOwnedBy(5));
        Assert.Equal("ENOSPC", g.Write("data/one-more", "x").ErrorName());
        Assert.Equal("ENOSPC", g.Send(MessageType.Mkdir, "data/one-more").ErrorName());
        var tx = uint.Parse(g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
        Assert.Equal("ENOSPC", g.Write("data/in-tx", "x", tx).ErrorName());
        g.Ok(g.SendIn(tx, MessageType.TransactionEnd, "T"));
        Assert.Equal(50, daemon.Live.NodesOwnedBy(5));
    }

    private (int Nodes, long Memory) Holdings(uint domid)
    {
        lock (daemon.Sync) return (daemon.Live.NodesOwnedBy(domid), daemon.MemoryUsedBy(domid));
    }
}
