using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Security;

/// <summary>
/// What a transaction keeps for its replay (each request with its reply) is the guest's to
/// pay for, like the nodes it touched: charged to its domain's memory quota while the
/// transaction is open, released when it ends. A guest that reads big values over and over
/// cannot make the daemon keep more than its quota: past it, the transaction just stops being
/// replayable (its reads are still answered), and a conflict then answers EAGAIN.
/// </summary>
public sealed class TransactionLogChargeTests
{
    private static (XenStoreDaemon Daemon, InProcessClient Dom0, InProcessClient Guest) Start(QuotaSettings quotas)
    {
        var daemon = new XenStoreDaemon(new DaemonOptions { Quotas = quotas });
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        dom0.Ok(dom0.Write("/local/domain/5/data/big", new string('b', 3000)));
        dom0.Ok(dom0.Write("/local/domain/5/data/x", "0"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data", "n5"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data/big", "n5"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data/x", "n5"));
        return (daemon, dom0, new InProcessClient(daemon, 5, privileged: false));
    }

    private static long MemoryOf(XenStoreDaemon daemon, uint domid)
    {
        lock (daemon.Sync) return daemon.MemoryUsedBy(domid);
    }

    [Theory]
    [InlineData("F")]
    [InlineData("T")]
    public void EachRecordedRequestIsChargedUntilTheTransactionEnds(string end)
    {
        var (daemon, _, g) = Start(new QuotaSettings());
        var before = MemoryOf(daemon, 5);
        var tx = g.StartTransaction();
        Assert.Equal(3000, g.SendIn(tx, MessageType.Read, "data/big").Payload.Length);
        var afterFirst = MemoryOf(daemon, 5);
        // The node is touched already: what grows now is the log, request and reply each time.
        for (var i = 0; i < 10; i++) Assert.Equal(3000, g.SendIn(tx, MessageType.Read, "data/big").Payload.Length);
        Assert.InRange(MemoryOf(daemon, 5) - afterFirst, 10 * 3000, 10 * (3000 + 200));
        g.Ok(g.SendIn(tx, MessageType.TransactionEnd, end));
        Assert.Equal(before, MemoryOf(daemon, 5));
    }

    [Fact]
    public void ALogPastTheMemoryQuotaIsDroppedNotRefused()
    {
        const int quota = 48 * 1024;
        var (daemon, dom0, g) = Start(new QuotaSettings { Memory = quota });
        // 5 reads of 3000 bytes fit in the quota and the transaction is replayed; 30 do not.
        foreach (var (reads, replayed) in new[] { (5, true), (30, false) })
        {
            dom0.Ok(dom0.Write("/local/domain/5/data/x", "0"));
            var before = MemoryOf(daemon, 5);
            var tx = g.StartTransaction();
            g.Ok(g.Write("data/x", "mine", tx));
            for (var i = 0; i < reads; i++)
            {
                Assert.Equal(3000, g.SendIn(tx, MessageType.Read, "data/big").Payload.Length);
                Assert.True(MemoryOf(daemon, 5) <= quota, $"{MemoryOf(daemon, 5)} bytes charged, quota {quota}");
            }
            dom0.Ok(dom0.Write("/local/domain/5/data/x", "dom0"));
            var reply = g.SendIn(tx, MessageType.TransactionEnd, "T");
            Assert.Equal(replayed ? null : "EAGAIN", reply.ErrorName());
            Assert.Equal(replayed ? "mine" : "dom0", dom0.Send(MessageType.Read, "/local/domain/5/data/x").Text());
            // Neither the log nor the replay is charged any more: only the value, 3 bytes longer.
            Assert.Equal(before + 3, MemoryOf(daemon, 5));
        }
        Assert.Equal("OK|", g.Write("data/after", "x").Text());
    }
}
