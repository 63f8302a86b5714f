using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Ring;

/// <summary>
/// Domain death fences the domain first (XSA-322/419 class): once its release is answered,
/// no request of its ring runs, and nothing it owns is left for a later domain of the same id.
/// </summary>
public sealed class DomainDeathTests
{
    [Theory]
    [InlineData("release")]
    [InlineData("sim-destroy")]
    public async Task NothingOfAReleasedDomainOutlivesItsRelease(string how)
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(5);
        // Another domain's world-writable directory: where a guest's nodes outlive it if anything does.
        s.Dom0.Ok(s.Dom0.Send(MessageType.Mkdir, "/local/domain/0/shared"));
        s.Dom0.Ok(s.Dom0.Send(MessageType.SetPerms, "/local/domain/0/shared", "b0"));

        // The guest writes as fast as its ring takes requests (throwing the replies away): frames
        // wait in the ring and in the daemon's hands when the release comes.
        var flood = Task.Run(() => guest.Command(new { op = "flood", count = 100_000, timeout = 3, write = "/local/domain/0/shared/n", discard = true }));
        await Task.Delay(300);
        if (how == "release") s.Dom0.Ok(s.Dom0.Send(MessageType.Release, "5"));
        else s.Dom0.Ok(s.Dom0.Send(MessageType.Control, "sim-destroy", "5"));

        Assert.Equal(0, NodesOwnedBy(s, 5));
        await flood;
        await Task.Delay(300);
        Assert.Equal(0, NodesOwnedBy(s, 5));
        Assert.Equal("F|", s.Dom0.Send(MessageType.IsDomainIntroduced, "5").Text());
    }

    private static int NodesOwnedBy(GuestSession s, uint domid)
    {
        lock (s.Daemon.Sync) return s.Daemon.Live.NodesOwnedBy(domid);
    }
}
