using System.Net.Sockets;
using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;
using XenStore.Tree;

namespace XenStore.Tests.Security;

/// <summary>
/// XSA-326 and XSA-416: a guest cannot make the daemon hold more for it than its memory
/// quota, whether through nodes, watches, transactions, replies it does not read or events
/// others cause; undelivered events expire; a connection that never reads is cut off.
/// </summary>
public sealed class ResourceBoundTests : IDisposable
{
    private const int MemoryQuota = 64 * 1024;

    private readonly ManualClock clock = new();
    private readonly XenStoreDaemon daemon;
    private readonly InProcessClient dom0;

    public ResourceBoundTests()
    {
        daemon = new XenStoreDaemon(new DaemonOptions
        {
            Quotas = new QuotaSettings { Memory = MemoryQuota, Nodes = 100_000, TransactionNodes = 100_000 },
            Clock = clock,
        });
        dom0 = new InProcessClient(daemon);
        foreach (var d in new[] { "5", "6" })
        {
            dom0.Ok(dom0.Send(MessageType.Introduce, d, "1", "1"));
            dom0.Ok(dom0.Send(MessageType.Mkdir, $"/local/domain/{d}/data"));
            dom0.Ok(dom0.Send(MessageType.SetPerms, $"/local/domain/{d}/data", $"n{d}"));
        }
        dom0.Ok(dom0.Send(MessageType.Mkdir, "/public"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/public", "n0", "r6"));
    }

    public void Dispose() => daemon.Dispose();

    private InProcessClient Guest(uint domid) => new(daemon, domid, privileged: false);

    private long MemoryOf(uint domid)
    {
        lock (daemon.Sync) return daemon.MemoryUsedBy(domid);
    }

    private void StillServes() => Assert.Equal("OK|", dom0.Write("/health/check", Guid.NewGuid().ToString()).Text());

    [Fact]
    public void Xsa326_NodesStopAtTheMemoryQuotaWithEnomemAndFreeingMakesRoom()
    {
        var g = Guest(5);
        var value = new string('v', 1000);
        var written = 0;
        while (g.Write($"data/n{written}", value) is var reply && reply.Type != MessageType.Error) written++;
        Assert.Equal("ENOMEM", g.Write($"data/n{written}", value).ErrorName());
        Assert.InRange(written, 40, 70);
        Assert.InRange(MemoryOf(5), MemoryQuota - 1200, MemoryQuota);
        // Another guest and dom0 are untouched by domain 5's quota.
        Guest(6).Ok(Guest(6).Write("data/fine", value));
        StillServes();
        // Removing nodes gives the memory back.
        for (var i = 0; i < 10; i++) g.Ok(g.Send(MessageType.Rm, $"data/n{i}"));
        g.Ok(g.Write("data/again", value));
    }

    [Fact]
    public void Xsa326_WatchesCountTowardsTheMemoryQuota()
    {
        var g = Guest(5);
        var token = new string('t', 2000);
        var replies = Enumerable.Range(0, 100).Select(i => g.Send(MessageType.Watch, $"data/w{i}", token).Text()).ToList();
        Assert.Contains("ENOMEM|", replies);
        Assert.True(MemoryOf(5) <= MemoryQuota);
        // Dropping the watches gives the memory back.
        g.Ok(g.Send(MessageType.ResetWatches, ""));
        Assert.True(MemoryOf(5) < 4096);
    }

    [Fact]
    public void Xsa326_Xsa416_RepliesAGuestDoesNotReadAreChargedToIt()
    {
        dom0.Ok(dom0.Write("/local/domain/5/data/big", new string('b', 2000)));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data/big", "n5"));
        var g = new StalledConnection(daemon, 5);
        for (var i = 0; i < 40; i++) g.Send(MessageType.Read, "data/big");
        Assert.True(g.Connection.PendingOutput > MemoryQuota);
        g.Send(MessageType.Write, "data/more", "x");
        var replies = g.TakeAll();
        Assert.Equal(41, replies.Count);
        Assert.Equal("ENOMEM|", replies[^1].Text());
        // Once read, the replies are no longer charged.
        Assert.True(MemoryOf(5) < 4096);
        g.Send(MessageType.Write, "data/more", "x");
        Assert.Equal("OK|", g.TakeAll().Single().Text());
    }

    [Fact]
    public void Xsa326_EventsOthersCauseStopAtTheQuotaOfAGuestThatDoesNotRead()
    {
        var victim = new StalledConnection(daemon, 6);
        victim.Send(MessageType.Watch, "/public", "w");
        for (var i = 0; i < 2000; i++) dom0.Ok(dom0.Write($"/public/{new string('n', 200)}{i}", "x"));
        Assert.True(victim.Connection.PendingOutput <= MemoryQuota);
        Assert.True(victim.Connection.DroppedEvents > 1000);
        StillServes();
        // Having read, the guest is sent events again.
        Assert.True(victim.TakeAll().Count > 100);
        dom0.Ok(dom0.Write("/public/after", "x"));
        Assert.Contains(victim.TakeAll(), m => m.Type == MessageType.WatchEvent && m.Text().StartsWith("/public/after|", StringComparison.Ordinal));
    }

    [Fact]
    public void Xsa326_ManyWatchesOnNodesThatAreCreatedAndDeletedStayBounded()
    {
        var victim = new StalledConnection(daemon, 6);
        for (var i = 0; i < 100; i++) victim.Send(MessageType.Watch, "/public/dir", $"token{i}");
        for (var i = 0; i < 300; i++) dom0.Ok(dom0.Write($"/public/dir/child{i}", "x"));
        dom0.Ok(dom0.Send(MessageType.Rm, "/public/dir"));
        Assert.True(MemoryOf(6) <= MemoryQuota);
        Assert.True(victim.Connection.DroppedEvents > 0);
        StillServes();
    }

    [Fact]
    public void Xsa326_MaxSizeNodesInManyTransactionsAreChargedWhileOpen()
    {
        var g = Guest(5);
        var before = MemoryOf(5);
        var value = new string('v', 1900);
        var refused = 0;
        var transactions = Enumerable.Range(0, 10).Select(_ => g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|')).ToList();
        foreach (var tx in transactions)
            for (var i = 0; i < 10; i++)
                if (g.Write($"data/t{tx}-{i}", value, uint.Parse(tx)).ErrorName() == "ENOMEM") refused++;
        Assert.True(refused > 0);
        Assert.True(MemoryOf(5) <= MemoryQuota);
        foreach (var tx in transactions) g.Ok(g.SendIn(uint.Parse(tx), MessageType.TransactionEnd, "F"));
        Assert.Equal(before, MemoryOf(5));
    }

    [Fact]
    public void Xsa326_ATransactionTouchingMoreNodesThanItsLimitCannotCommit()
    {
        var small = new XenStoreDaemon(new DaemonOptions { Quotas = new QuotaSettings { TransactionNodes = 50 } });
        var root = new InProcessClient(small);
        root.Ok(root.Send(MessageType.Introduce, "5", "1", "1"));
        for (var i = 0; i < 100; i++) root.Ok(root.Write($"/local/domain/5/n{i}", "x"));
        root.Ok(root.Send(MessageType.SetPerms, "/local/domain/5", "n5"));
        var g = new InProcessClient(small, 5, privileged: false);
        var tx = uint.Parse(g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
        // Reading is enough to touch a node: the transaction must remember each one.
        for (var i = 0; i < 100; i++) g.SendIn(tx, MessageType.Read, $"n{i}");
        g.Write("written", "x", tx);
        Assert.Equal("ENOMEM", g.SendIn(tx, MessageType.TransactionEnd, "T").ErrorName());
        Assert.Equal("ENOENT", root.Send(MessageType.Read, "/local/domain/5/written").ErrorName());
        Assert.Equal("OK|", g.Write("after", "x").Text());
    }

    [Fact]
    public void Xsa326_UndeliveredEventsOfAGuestExpireAfterTheTimeout()
    {
        var guest = new StalledConnection(daemon, 6);
        var admin = new StalledConnection(daemon, 0, privileged: true);
        guest.Send(MessageType.Watch, "/public", "g");
        admin.Send(MessageType.Watch, "/public", "a");
        dom0.Ok(dom0.Write("/public/early", "x"));
        clock.Advance(TimeSpan.FromSeconds(21));
        dom0.Ok(dom0.Write("/public/late", "x"));

        var events = guest.TakeAll().Where(m => m.Type == MessageType.WatchEvent).Select(m => m.Text()).ToList();
        Assert.Equal(["/public/late|g|"], events);
        Assert.Equal(2, guest.Connection.ExpiredEvents);
        // Privileged connections keep theirs, as in cxenstored.
        Assert.Equal(3, admin.TakeAll().Count(m => m.Type == MessageType.WatchEvent));
    }

    [Fact]
    public void MemoryAccountingMatchesAFreshCountAfterMixedChanges()
    {
        var g = Guest(5);
        g.Ok(g.Write("data/a/b/c", "123"));
        g.Ok(g.Write("data/a/b", new string('x', 500)));
        var tx = uint.Parse(g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
        g.Ok(g.Write("data/t/u", "in tx", tx));
        g.Ok(g.SendIn(tx, MessageType.Rm, "data/a/b/c"));
        g.Ok(g.SendIn(tx, MessageType.TransactionEnd, "T"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data/t", "n6"));
        dom0.Ok(dom0.Send(MessageType.Rm, "/local/domain/5/data/a"));
        lock (daemon.Sync)
        {
            foreach (var domid in new uint[] { 0, 5, 6 })
            {
                var fresh = NodeTree.Walk(daemon.Live.Root, "/").Where(e => e.Node.Permissions.Owner == domid).ToList();
                Assert.Equal(fresh.Count, daemon.Live.NodesOwnedBy(domid));
                Assert.Equal(fresh.Sum(e => (long)MemoryCharge.Node(e.Path, e.Node)), daemon.Live.BytesOwnedBy(domid));
            }
        }
    }

    [Fact]
    public async Task ASocketClientThatNeverReadsIsCutOffAndOthersAreServed()
    {
        var runDir = TestEnvironment.NewRunDir("cutoff");
        await using var server = UnixSocketServer.Start(daemon, Path.Combine(runDir, "socket"));
        using var stuck = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stuck.Connect(new UnixDomainSocketEndPoint(server.SocketPath));
        var token = new string('t', 2000);
        for (var i = 0; i < 100; i++)
            stuck.Send(new Message(MessageType.Watch, (uint)i + 1, 0, Payloads.Strings("/flood", token + i)).ToBytes());
        // Each write fires 100 events of 2 KiB at the client, which reads nothing.
        var connectionsBefore = daemon.ConnectionCount;
        for (var i = 0; i < 1000 && daemon.ConnectionCount == connectionsBefore; i++)
            dom0.Ok(dom0.Write($"/flood/n{i}", "x"));
        Assert.Equal(connectionsBefore - 1, daemon.ConnectionCount);
        StillServes();
        // The daemon has dropped the socket: reading what reached the kernel ends in EOF.
        stuck.ReceiveTimeout = 10_000;
        var buffer = new byte[1 << 16];
        try
        {
            while (stuck.Receive(buffer) > 0) { }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }
        Directory.Delete(runDir, recursive: true);
    }
}
