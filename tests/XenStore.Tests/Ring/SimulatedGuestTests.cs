using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Ring;

/// <summary>Guests in other processes served on rings through the simulated hypervisor.</summary>
public sealed class SimulatedGuestTests
{
    [Fact]
    public void GuestReadsAndWritesItsHomeAndIsRefusedElsewhere()
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(5);
        var state = guest.State();
        Assert.Equal(RingLayout.FeatureReconnection | RingLayout.FeatureError, state["features"]!.GetValue<uint>());

        Assert.Equal((MessageType.Write, "OK|"), guest.Request(MessageType.Write, ["data/x"], "hello"));
        Assert.Equal((MessageType.Read, "hello"), guest.Request(MessageType.Read, ["/local/domain/5/data/x"]));
        Assert.Equal("hello", s.Dom0.Send(MessageType.Read, "/local/domain/5/data/x").Text());
        // What the guest creates is its own.
        Assert.Equal((MessageType.GetPerms, "n5|"), guest.Request(MessageType.GetPerms, ["data/x"]));
        Assert.Equal((MessageType.Error, "EACCES|"), guest.Request(MessageType.Read, ["/local/domain/0/name"]));
        Assert.Equal((MessageType.Error, "EACCES|"), guest.Request(MessageType.Write, ["/local/domain/0/evil"], "x"));
        Assert.Equal((MessageType.Error, "EACCES|"), guest.Request(MessageType.Write, ["/local/domain/5/notmine"], "x"));
        Assert.Equal((MessageType.Error, "EACCES|"), guest.Request(MessageType.Introduce, ["6", "1", "1"]));
        Assert.Equal((MessageType.GetDomainPath, "/local/domain/7|"), guest.Request(MessageType.GetDomainPath, ["7"]));
    }

    [Fact]
    public void GuestWatchesSeeChangesTheyMayReadOnly()
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(6);
        var initial = new List<string>();
        Assert.Equal((MessageType.Watch, "OK|"), guest.Request(MessageType.Watch, ["data", "mine"], events: initial));
        Assert.Equal((MessageType.Watch, "OK|"), guest.Request(MessageType.Watch, ["/", "all"], events: initial));
        while (guest.Next(1) is { } m) initial.Add(m.Payload);
        Assert.Contains("data|mine|", initial);
        Assert.Contains("/|all|", initial);

        s.Dom0.Ok(s.Dom0.Write("/secret/key", "1"));
        s.Dom0.Ok(s.Dom0.Write("/local/domain/6/data/y", "2"));
        var events = new List<string>();
        while (guest.Next(1) is { } m) events.Add(m.Payload);
        // The relative watch reports a relative path; the dom0-only node stays invisible (XSA-115).
        Assert.Contains("data/y|mine|", events);
        Assert.Contains("/local/domain/6/data/y|all|", events);
        Assert.DoesNotContain(events, e => e.StartsWith("/secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GuestTransactionConflictsWithDom0()
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(7);
        guest.Request(MessageType.Write, ["data/counter"], "1");
        var (_, id) = guest.Request(MessageType.TransactionStart, [""]);
        var tx = uint.Parse(id.TrimEnd('|'));
        Assert.Equal((MessageType.Read, "1"), guest.Request(MessageType.Read, ["data/counter"], tx: tx));
        guest.Request(MessageType.Write, ["data/counter"], "2", tx: tx);
        // dom0 as the toolstack is: a client of the daemon's Unix socket.
        var socketPath = Path.Combine(s.SimDirectory, "socket");
        var server = UnixSocketServer.Start(s.Daemon, socketPath);
        using (var dom0Socket = new RawSocketClient(socketPath))
            Assert.Equal("OK|", dom0Socket.Write("/local/domain/7/data/counter", "dom0").Text());
        await server.DisposeAsync();
        Assert.Equal((MessageType.Error, "EAGAIN|"), guest.Request(MessageType.TransactionEnd, ["T"], tx: tx));
        Assert.Equal("dom0", s.Dom0.Send(MessageType.Read, "/local/domain/7/data/counter").Text());

        (_, id) = guest.Request(MessageType.TransactionStart, [""]);
        tx = uint.Parse(id.TrimEnd('|'));
        guest.Request(MessageType.Write, ["data/counter"], "3", tx: tx);
        Assert.Equal((MessageType.TransactionEnd, "OK|"), guest.Request(MessageType.TransactionEnd, ["T"], tx: tx));
        Assert.Equal("3", s.Dom0.Send(MessageType.Read, "/local/domain/7/data/counter").Text());
    }

    [Fact]
    public void MaximumSizeMessagesCrossTheRingBothWays()
    {
        using var s = new GuestSession(new QuotaSettings { NodeSize = 0 });
        var guest = s.StartGuest(8);
        var path = "data/big";
        var value = new string('v', Wire.PayloadMax - path.Length - 1);
        Assert.Equal((MessageType.Write, "OK|"), guest.Request(MessageType.Write, [path], value));
        Assert.Equal((MessageType.Read, value), guest.Request(MessageType.Read, [path]));
    }

    [Fact]
    public void ReconnectDropsWatchesAndTransactionsAndTheRingGoesOn()
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(9);
        guest.Request(MessageType.Watch, ["data", "w"]);
        var (_, id) = guest.Request(MessageType.TransactionStart, [""]);
        Assert.True(guest.Command(new { op = "reconnect" })["ok"]!.GetValue<bool>());
        Assert.Equal(0u, guest.State()["connection"]!.GetValue<uint>());
        // The transaction is gone, and so is the watch (it can be registered again).
        Assert.Equal((MessageType.Error, "ENOENT|"), guest.Request(MessageType.TransactionEnd, ["F"], tx: uint.Parse(id.TrimEnd('|'))));
        Assert.Equal((MessageType.Watch, "OK|"), guest.Request(MessageType.Watch, ["data", "w"]));
    }

    [Fact]
    public void SimDestroyReleasesTheDomainAndDom0SeesReleaseDomain()
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(10);
        guest.Request(MessageType.Write, ["data/x"], "1");
        s.Dom0.Ok(s.Dom0.Send(MessageType.Watch, "@releaseDomain", "rel"));
        s.Dom0.Ok(s.Dom0.Send(MessageType.Control, "sim-destroy", "10"));
        Assert.True(s.Dom0.WaitForEvent(e => e == ("@releaseDomain", "rel"), TimeSpan.FromSeconds(5)));
        Assert.Equal(2, s.Dom0.Events.Count(e => e.Token == "rel"));
        Assert.Equal("F|", s.Dom0.Send(MessageType.IsDomainIntroduced, "10").Text());
        // Its own nodes went with it.
        Assert.Equal("ENOENT", s.Dom0.Send(MessageType.Read, "/local/domain/10/data/x").ErrorName());
    }

    [Fact]
    public void AHundredGuestsAtOnceAreAllServedCorrectly()
    {
        using var s = new GuestSession();
        using var workload = RingGuestProcess.StartWorkload(s.SimDirectory, 100, 100, 5);
        s.Track(workload);
        for (uint d = 100; d < 200; d++)
        {
            s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, d.ToString(), "1", "1"));
            s.PrepareHome(d);
        }
        workload.Say("go");
        var result = workload.ReadLine(TimeSpan.FromMinutes(2))!;
        Assert.Equal(0, result["errors"]!.GetValue<int>());
        Assert.Equal(100 * 5 * 3, result["requests"]!.GetValue<int>());
        Assert.Equal(100, s.Daemon.IntroducedDomains.Count);
    }
}
