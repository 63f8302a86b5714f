using System.Text.RegularExpressions;
using XenStore.Client;
using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Ring;

/// <summary>A domain released and introduced again at once: the old session's teardown leaves the new one alone.</summary>
public sealed class ReintroductionTests
{
    [Fact]
    public async Task TheOldSessionsTeardownKeepsTheNewSessionsEventChannel()
    {
        using var s = new GuestSession();
        await using var guest = XenStoreClient.Create(RingTransport.CreateSimulatedGuest(s.SimDirectory, 44));
        guest.RequestTimeout = TimeSpan.FromSeconds(10);
        s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "44", "1", "1"));
        s.PrepareHome(44);
        await guest.WriteAsync("data/first", "1");
        var channel = new SimulatedXen(s.SimDirectory).DaemonChannelPath(44);

        for (var i = 0; i < 50; i++)
        {
            var old = Session(s.Daemon, 44);
            s.Dom0.Ok(s.Dom0.Send(MessageType.Release, "44"));
            s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "44", "1", "1"));
            s.PrepareHome(44);
            await old.Stopped.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(File.Exists(channel), $"round {i}: the old session's teardown deleted the new session's daemon.evtchn");
            Assert.NotSame(old, Session(s.Daemon, 44));
            await guest.WriteAsync($"data/round{i}", i.ToString());
            Assert.Equal(i.ToString(), s.Dom0.Send(MessageType.Read, $"/local/domain/44/data/round{i}").Text());
        }
    }

    [Fact]
    public async Task TheOldConnectionStopsCountingAgainstTheDomainAtItsRelease()
    {
        using var s = new GuestSession();
        await using var guest = XenStoreClient.Create(RingTransport.CreateSimulatedGuest(s.SimDirectory, 45));
        guest.RequestTimeout = TimeSpan.FromSeconds(10);
        s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "45", "1", "1"));
        s.PrepareHome(45);
        // A watch is charged to the domain's connection.
        await guest.RequestStringAsync(MessageType.Watch, CancellationToken.None, "/local/domain/45", "held");
        Assert.True(MemoryCharged(s, 45) > 0);

        long charged;
        var old = Session(s.Daemon, 45);
        // Holding the daemon lock keeps the old session's loop from finishing its teardown
        // (it needs the lock): release and introduce again while it is still running.
        lock (s.Daemon.Sync)
        {
            s.Dom0.Ok(s.Dom0.Send(MessageType.Release, "45"));
            s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "45", "1", "1"));
            Assert.False(old.Stopped.IsCompleted);
            charged = MemoryCharged(s, 45);
        }
        Assert.Equal(0, charged);
        await old.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, MemoryCharged(s, 45));
    }

    [Fact]
    public async Task ClosingAnOldChannelLeavesTheSocketOfTheOneThatTookItsPath()
    {
        var dir = TestEnvironment.NewRunDir("evtchn");
        try
        {
            var own = Path.Combine(dir, "daemon.evtchn");
            var peer = Path.Combine(dir, "guest.evtchn");
            var old = new UnixDatagramEventChannel(own, peer);
            using var current = new UnixDatagramEventChannel(own, peer);
            // .NET unlinks the path a Unix socket was bound to when it is disposed.
            old.Dispose();
            Assert.True(File.Exists(own));
            using var guest = new UnixDatagramEventChannel(peer, own);
            guest.Notify();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await current.WaitAsync(timeout.Token);
            current.Dispose();
            Assert.False(File.Exists(own));
            Assert.Equal(["guest.evtchn"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static RingSession Session(XenStoreDaemon daemon, uint domid)
    {
        lock (daemon.Sync) return daemon.Domains.Find(domid)?.Ring ?? throw new InvalidOperationException($"domain {domid} has no ring session");
    }

    /// <summary>The "memory" line of CONTROL quota D: what the domain is charged for.</summary>
    private static long MemoryCharged(GuestSession s, uint domid) =>
        long.Parse(Regex.Match(s.Dom0.Send(MessageType.Control, "quota", domid.ToString()).Text(), @"memory\s*:\s*(\d+)").Groups[1].Value);
}
