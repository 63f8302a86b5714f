using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// A WRITE that creates a chain of missing ancestors in one pass (issue 12) journals each
/// node, comes back whole after a restart with the same accounting, and is undone whole,
/// accounting included, when the journal refuses it.
/// </summary>
public sealed class DeepChainPersistenceTests : IDisposable
{
    private static readonly string Chain = string.Concat(Enumerable.Range(0, 100).Select(i => $"/l{i}"));

    private readonly string directory = TestEnvironment.NewRunDir("chain");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private XenStoreDaemon Open(JournalFiles? files = null) =>
        new(new DaemonOptions { Persistence = new PersistenceOptions(Path.Combine(directory, "store")) { Files = files ?? new JournalFiles() } });

    private static (int Nodes, long Bytes) Holding(XenStoreDaemon daemon, uint domid)
    {
        lock (daemon.Sync) return (daemon.Live.NodesOwnedBy(domid), daemon.Live.BytesOwnedBy(domid));
    }

    private static InProcessClient Guest(XenStoreDaemon daemon)
    {
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        dom0.Ok(dom0.Send(MessageType.Mkdir, "/local/domain/5/data"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data", "n5"));
        return new InProcessClient(daemon, 5, privileged: false);
    }

    [Fact]
    public void AChainMadeInOnePassSurvivesARestartWithItsAccounting()
    {
        (int, long) before;
        using (var daemon = Open())
        {
            var g = Guest(daemon);
            g.Ok(g.Write($"data/live{Chain}", "bottom"));
            var tx = uint.Parse(g.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
            g.Ok(g.Write($"data/tx{Chain}", "in-tx", tx));
            g.Ok(g.SendIn(tx, MessageType.TransactionEnd, "T"));
            before = Holding(daemon, 5);
            Assert.Equal(1 + 2 * 101, before.Item1);
        }
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("bottom", c.Send(MessageType.Read, $"/local/domain/5/data/live{Chain}").Text());
            Assert.Equal("in-tx", c.Send(MessageType.Read, $"/local/domain/5/data/tx{Chain}").Text());
            Assert.Equal("", c.Send(MessageType.Read, "/local/domain/5/data/live/l0/l1").Text());
            Assert.Equal("n5|", c.Send(MessageType.GetPerms, "/local/domain/5/data/live/l0/l1").Text());
            Assert.Equal(before, Holding(daemon, 5));
        }
    }

    [Fact]
    public void AChainTheJournalRefusesIsUndoneWithItsAccounting()
    {
        var disk = new FaultyJournalFiles();
        using var daemon = Open(disk);
        var g = Guest(daemon);
        var before = Holding(daemon, 5);
        disk.FailAppends(FaultyJournalFiles.Enospc);
        Assert.Equal("ENOSPC", g.Write($"data/refused{Chain}", "x").ErrorName());
        disk.FailAppends(null);
        Assert.Equal(before, Holding(daemon, 5));
        Assert.Equal("ENOENT", g.Send(MessageType.Read, "data/refused").ErrorName());
        g.Ok(g.Write($"data/accepted{Chain}", "x"));
        Assert.Equal(before.Nodes + 101, Holding(daemon, 5).Nodes);
    }
}
