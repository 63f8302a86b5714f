using XenStore.Client;
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

        s.Dom0.Ok(s.Dom0.Send(MessageType.Release, "44"));
        s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "44", "1", "1"));
        s.PrepareHome(44);
        // Time for the old session's loop to end and tear down its ring.
        await Task.Delay(500);

        Assert.True(File.Exists(new SimulatedXen(s.SimDirectory).DaemonChannelPath(44)), "daemon.evtchn of the new session was deleted");
        await guest.WriteAsync("data/second", "2");
        Assert.Equal("2", s.Dom0.Send(MessageType.Read, "/local/domain/44/data/second").Text());
    }
}
