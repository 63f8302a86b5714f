using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Security;

/// <summary>
/// XSA-326, issue 12: what a transaction remembers of its reads is the guest's to pay for.
/// Every node a transaction touches is kept until it ends, so each kept entry is charged to
/// the domain's memory quota, a read of a missing deep path keeps only what commit needs, and
/// once the transaction-nodes limit is hit, new node accesses answer ENOSPC (as cxenstored's
/// access_node) instead of growing the daemon.
/// </summary>
public sealed class TransactionReadSetTests
{
    private static readonly string Deep = "data/missing" + string.Concat(Enumerable.Repeat("/a", 900));

    private static (XenStoreDaemon Daemon, InProcessClient Guest) Start(QuotaSettings quotas)
    {
        var daemon = new XenStoreDaemon(new DaemonOptions { Quotas = quotas });
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        dom0.Ok(dom0.Send(MessageType.Mkdir, "/local/domain/5/data"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data", "n5"));
        return (daemon, new InProcessClient(daemon, 5, privileged: false));
    }

    private static long MemoryOf(XenStoreDaemon daemon, uint domid)
    {
        lock (daemon.Sync) return daemon.MemoryUsedBy(domid);
    }

    [Fact]
    public void Xsa326_ReadsInATransactionAreChargedAndStopAtTheTransactionNodesLimit()
    {
        var (daemon, g) = Start(new QuotaSettings());
        var before = MemoryOf(daemon, 5);
        var tx = g.StartTransaction();
        var started = MemoryOf(daemon, 5);

        // A missing path 900 levels deep: the node and its nearest existing ancestor are kept
        // and paid for, not the 900 missing ancestors (about 1 MB of path strings).
        Assert.Equal("ENOENT", g.SendIn(tx, MessageType.Read, Deep).ErrorName());
        var deepRead = MemoryOf(daemon, 5) - started;
        Assert.InRange(deepRead, Deep.Length, 3L * Deep.Length);

        // New nodes are charged one by one until the limit (1024 nodes); then ENOSPC.
        var answers = Enumerable.Range(0, 1500).Select(i => g.SendIn(tx, MessageType.Read, $"data/n{i}").ErrorName() ?? "OK").ToList();
        var firstRefused = answers.IndexOf("ENOSPC");
        Assert.InRange(firstRefused, 1000, 1024);
        Assert.All(answers.Skip(firstRefused), a => Assert.Equal("ENOSPC", a));
        var atLimit = MemoryOf(daemon, 5);
        Assert.True(atLimit - started > 1000 * 10, $"1,000 kept reads charged only {atLimit - started} bytes");

        // Past the limit nothing more is kept, whatever the request.
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal("ENOSPC", g.SendIn(tx, MessageType.Read, $"{Deep}/x{i}").ErrorName());
            Assert.Equal("ENOSPC", g.SendIn(tx, MessageType.Directory, $"data/d{i}").ErrorName());
            Assert.Equal("ENOSPC", g.SendIn(tx, MessageType.GetPerms, $"data/p{i}").ErrorName());
            Assert.Equal("ENOSPC", g.Write($"data/w{i}", "x", tx).ErrorName());
        }
        Assert.Equal(atLimit, MemoryOf(daemon, 5));
        // Nodes already touched are still served, as in cxenstored.
        Assert.Equal("ENOENT", g.SendIn(tx, MessageType.Read, "data/n0").ErrorName());

        Assert.Equal("ENOMEM", g.SendIn(tx, MessageType.TransactionEnd, "T").ErrorName());
        Assert.Equal(before, MemoryOf(daemon, 5));
        Assert.Equal("OK|", g.Write("data/after", "x").Text());
    }

    [Fact]
    public void AMissingDeepPathReadInATransactionStillConflictsWithItsCreation()
    {
        var (daemon, g) = Start(new QuotaSettings());
        var dom0 = new InProcessClient(daemon);
        // (level made, the commit's answer once the conflict is replayed: the read answers ENOENT
        // again unless the node read is the one made).
        foreach (var (made, answer) in new[] { ("data/missing", null), ($"{Deep}/x", "EAGAIN") })
        {
            var replays = daemon.ReplaysRun;
            var tx = g.StartTransaction();
            Assert.Equal("ENOENT", g.SendIn(tx, MessageType.Read, $"{Deep}/x").ErrorName());
            // Whichever level appears, the nearest existing ancestor the read recorded changes:
            // the commit finds the conflict and replays.
            dom0.Ok(dom0.Write($"/local/domain/5/{made}", ""));
            g.Ok(g.Write("data/other", "x", tx));
            Assert.Equal(answer, g.SendIn(tx, MessageType.TransactionEnd, "T").ErrorName());
            Assert.Equal(replays + 1, daemon.ReplaysRun);
            dom0.Ok(dom0.Send(MessageType.Rm, "/local/domain/5/data/missing"));
        }
        var unrelated = g.StartTransaction();
        Assert.Equal("ENOENT", g.SendIn(unrelated, MessageType.Read, $"{Deep}/x").ErrorName());
        dom0.Ok(dom0.Write("/elsewhere", ""));
        var before = daemon.ReplaysRun;
        g.Ok(g.SendIn(unrelated, MessageType.TransactionEnd, "T"));
        Assert.Equal(before, daemon.ReplaysRun);
    }

    [Fact]
    public void Xsa326_TheMemoryQuotaStopsATransactionsReadSet()
    {
        const int quota = 64 * 1024;
        var (daemon, g) = Start(new QuotaSettings { Memory = quota, TransactionNodes = 100_000 });
        var tx = g.StartTransaction();
        var name = new string('r', 1000);
        var answers = Enumerable.Range(0, 200).Select(i => g.SendIn(tx, MessageType.Read, $"data/{name}{i}").ErrorName()).ToList();
        Assert.Contains("ENOMEM", answers);
        Assert.True(MemoryOf(daemon, 5) <= quota, $"{MemoryOf(daemon, 5)} bytes charged, quota {quota}");
        Assert.Equal("ENOMEM", g.SendIn(tx, MessageType.TransactionEnd, "T").ErrorName());
        Assert.Equal("OK|", g.Write("data/after", "x").Text());
    }
}
