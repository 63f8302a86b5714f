using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Ring;

/// <summary>Guests that misbehave on their ring are contained; the others keep being served.</summary>
public sealed class RingAbuseTests
{
    [Fact]
    public void AGuestThatNeverReadsRepliesIsThrottledNotBuffered()
    {
        using var s = new GuestSession();
        var flooder = s.StartGuest(20);
        var good = s.StartGuest(21);
        var sent = flooder.Command(new { op = "flood", count = 100_000, timeout = 3 })["sent"]!.GetValue<int>();
        // The daemon stopped taking requests once its outstanding replies were queued: the
        // guest could not push more than a bounded number, and nothing grew without bound.
        Assert.InRange(sent, 1, 200);
        var connection = s.Daemon.DomainConnection(20);
        Assert.NotNull(connection);
        Assert.InRange(connection!.PendingMessages, 1, 20 + 60);
        Assert.Equal((MessageType.Write, "OK|"), good.Request(MessageType.Write, ["data/alive"], "yes"));
        Assert.Equal("yes", s.Dom0.Send(MessageType.Read, "/local/domain/21/data/alive").Text());
    }

    [Fact]
    public void Xsa326_EventsForAGuestThatStopsReadingItsRingStayWithinItsMemoryQuota()
    {
        const int quota = 64 * 1024;
        using var s = new GuestSession(new QuotaSettings { Memory = quota });
        var victim = s.StartGuest(27);
        Assert.Equal(MessageType.Watch, victim.Request(MessageType.Watch, ["device", "dev"]).Type);
        // The guest reads nothing more while dom0 makes its watch fire 2000 times (460 KiB of events).
        for (var i = 0; i < 2000; i++) s.Dom0.Ok(s.Dom0.Write($"/local/domain/27/device/{new string('n', 200)}{i}", "x"));
        var connection = s.Daemon.DomainConnection(27)!;
        Assert.InRange(connection.PendingOutput, 1, quota);
        Assert.True(connection.DroppedEvents > 1000);
        // Its domain is intact, and once it reads again it is served.
        Assert.Equal("T|", s.Dom0.Send(MessageType.IsDomainIntroduced, "27").Text());
        var events = new List<string>();
        Assert.Equal((MessageType.Read, ""), victim.Request(MessageType.Read, ["data"], events: events));
        Assert.NotEmpty(events);
    }

    [Fact]
    public void CorruptIndicesStopOnlyThatGuestAndAreReportedInTheErrorField()
    {
        using var s = new GuestSession();
        var bad = s.StartGuest(22);
        var good = s.StartGuest(23);
        bad.Command(new { op = "set", field = "req_prod", value = 5000 });
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (bad.State()["error"]!.GetValue<uint>() == 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal((uint)RingError.RingIndex, bad.State()["error"]!.GetValue<uint>());
        Assert.Equal((MessageType.Read, ""), good.Request(MessageType.Read, ["data"]));
        // The domain itself stays until dom0 releases it (XSA-325).
        Assert.Equal("T|", s.Dom0.Send(MessageType.IsDomainIntroduced, "22").Text());
    }

    [Fact]
    public void AnOversizeMessageIsAProtocolError()
    {
        using var s = new GuestSession();
        var bad = s.StartGuest(24);
        var header = new byte[16];
        Wire.WriteHeader(header, MessageType.Read, 1, 0, 5000);
        bad.Command(new { op = "bytes", hex = Convert.ToHexString(header) });
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (bad.State()["error"]!.GetValue<uint>() == 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal((uint)RingError.Protocol, bad.State()["error"]!.GetValue<uint>());
        Assert.Equal("OK|", s.Dom0.Write("/still", "fine").Text());
    }

    [Fact]
    public void GarbageMessagesGetErrorsAndTheGuestStaysServed()
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(25);
        Assert.Equal((MessageType.Error, "ENOSYS|"), guest.Request((MessageType)999, ["x"]));
        Assert.Equal((MessageType.Error, "EINVAL|"), guest.Request(MessageType.Read, ["bad path!"]));
        Assert.Equal((MessageType.Error, "EINVAL|"), guest.Request(MessageType.Watch, ["only-one-arg"]));
        Assert.Equal((MessageType.Read, ""), guest.Request(MessageType.Read, ["data"]));
    }

    [Fact]
    public void QuotasHoldForGuests()
    {
        using var s = new GuestSession(new QuotaSettings { Nodes = 10, Watches = 3, Transactions = 2 });
        var guest = s.StartGuest(26);
        var results = Enumerable.Range(0, 12).Select(i => guest.Request(MessageType.Write, [$"data/n{i}"], "x").Type).ToList();
        Assert.Contains(MessageType.Error, results);
        Assert.True(s.Daemon.NodeCount < 100);
        var watchReplies = Enumerable.Range(0, 6).Select(i => guest.Request(MessageType.Watch, ["data", $"t{i}"]).Payload).ToList();
        Assert.Equal(3, watchReplies.Count(r => r == "OK|"));
        Assert.Contains("E2BIG|", watchReplies);
        var txReplies = Enumerable.Range(0, 5).Select(_ => guest.Request(MessageType.TransactionStart, [""]).Payload).ToList();
        Assert.Equal(2, txReplies.Count(r => r != "ENOSPC|"));
        // Dom0 is not bound by guest quotas.
        Assert.Equal("OK|", s.Dom0.Write("/local/domain/26/data/by-dom0", "x").Text());
    }
}
