using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;
using XenStore.Tests.Ring;

namespace XenStore.Tests.Persistence;

/// <summary>
/// A guest's ring outlives the daemon: after a restart with the same store, the guest is
/// served on the same ring with the watches it had, as cxenstored's live update keeps them.
/// </summary>
public sealed class RingRestartTests : IDisposable
{
    private const uint Guest = 31;
    private readonly string directory = TestEnvironment.NewRunDir("ring-restart");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private long snapshotAfterBytes;

    private XenStoreDaemon Start() => new(new DaemonOptions
    {
        RingPlatform = new SimulatedXen(Path.Combine(directory, "sim")),
        Persistence = new PersistenceOptions(Path.Combine(directory, "store")) { SnapshotAfterBytes = snapshotAfterBytes },
    });

    /// <summary>With the journal alone, and with a snapshot after every request (the watches then come from snapshots).</summary>
    [Theory]
    [InlineData(16 << 20)]
    [InlineData(1)]
    public void ARingGuestKeepsItsWatchesAcrossARestart(long snapshotAfter)
    {
        snapshotAfterBytes = snapshotAfter;
        using var guest = RingGuestProcess.Start(Path.Combine(directory, "sim"), Guest);
        using (var first = Start())
        {
            var dom0 = new InProcessClient(first);
            dom0.Ok(dom0.Send(MessageType.Introduce, Guest.ToString(), "1", "1"));
            dom0.Ok(dom0.Send(MessageType.Mkdir, $"/local/domain/{Guest}/data"));
            dom0.Ok(dom0.Send(MessageType.SetPerms, $"/local/domain/{Guest}/data", $"n{Guest}"));
            Assert.Equal(MessageType.Watch, guest.Request(MessageType.Watch, ["data/kept", "kept"]).Type);
            Assert.Equal(MessageType.Watch, guest.Request(MessageType.Watch, ["data/dropped", "dropped"]).Type);
            Assert.Equal(MessageType.Unwatch, guest.Request(MessageType.Unwatch, ["data/dropped", "dropped"]).Type);
            Assert.Equal(MessageType.Watch, guest.Request(MessageType.Watch, ["@releaseDomain", "special"]).Type);
            while (guest.Next(0.2) is not null) { }
        }

        using (var second = Start())
        {
            var admin = new InProcessClient(second);
            Assert.Equal("T|", admin.Send(MessageType.IsDomainIntroduced, Guest.ToString()).Text());
            // Each kept watch fires once on its return, so the guest looks again at what it watches.
            var events = new List<string>();
            Assert.Equal((MessageType.Read, ""), guest.Request(MessageType.Read, ["data"], events: events));
            while (guest.Next(0.5) is { } extra) events.Add(extra.Payload);
            Assert.Equal(["data/kept|kept|"], events.Where(e => !e.StartsWith('@')).ToList());
            admin.Ok(admin.Write($"/local/domain/{Guest}/data/kept", "after the restart"));
            admin.Ok(admin.Write($"/local/domain/{Guest}/data/dropped", "not watched"));
            var next = guest.Next();
            Assert.Equal((MessageType.WatchEvent, "data/kept|kept|"), next);
            Assert.Null(guest.Next(0.5));
            // A guest's RESET_WATCHES is kept too: after another restart nothing comes back.
            Assert.Equal(MessageType.ResetWatches, guest.Request(MessageType.ResetWatches, [""]).Type);
        }
        using var third = Start();
        var events3 = new List<string>();
        Assert.Equal((MessageType.Read, ""), guest.Request(MessageType.Read, ["data"], events: events3));
        Assert.Null(guest.Next(0.5));
        Assert.Empty(events3);
    }
}
