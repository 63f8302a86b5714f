using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Ring;

/// <summary>
/// Domain death fences the domain first (XSA-322/419 class): once its release is answered,
/// no request of its ring runs, and nothing it owns is left for a later domain of the same id.
/// </summary>
public sealed class DomainDeathTests
{
    private static readonly string[] LatePath = ["/local/domain/0/shared/late"];

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

    /// <summary>
    /// The narrowest window, made certain: the ring loop has taken the guest's WRITE off the
    /// ring and not yet run it when the release commits. The frame must not run.
    /// </summary>
    [Theory]
    [InlineData("release")]
    [InlineData("sim-destroy")]
    public async Task AFrameTakenOffTheRingBeforeTheReleaseNeverRuns(string how)
    {
        using var s = new GuestSession();
        var guest = s.StartGuest(5);
        s.Dom0.Ok(s.Dom0.Send(MessageType.Mkdir, "/local/domain/0/shared"));
        s.Dom0.Ok(s.Dom0.Send(MessageType.SetPerms, "/local/domain/0/shared", "b0"));
        RingSession ring;
        lock (s.Daemon.Sync) ring = s.Daemon.Domains.Find(5)!.Ring!;
        var released = new TaskCompletionSource();
        ring.FramesTaken = () =>
        {
            ring.FramesTaken = null;
            if (how == "release") s.Dom0.Ok(s.Dom0.Send(MessageType.Release, "5"));
            else s.Dom0.Ok(s.Dom0.Send(MessageType.Control, "sim-destroy", "5"));
            released.SetResult();
        };

        guest.Command(new { op = "send", type = (uint)MessageType.Write, req = 1, tx = 0, args = LatePath, raw = Convert.ToHexString(Wire.Encode("v")) });
        await released.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(200);

        Assert.Equal("ENOENT", s.Dom0.Send(MessageType.Read, "/local/domain/0/shared/late").ErrorName());
        Assert.Equal(0, NodesOwnedBy(s, 5));
    }

    /// <summary>Every connection of a released domain is fenced, not only its ring (an in-process guest here).</summary>
    [Fact]
    public void ReleaseClosesEveryConnectionOfTheDomain()
    {
        using var daemon = new XenStoreDaemon(new XenStore.Daemon.DaemonOptions());
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        dom0.Ok(dom0.Send(MessageType.Mkdir, "/shared"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/shared", "b0"));
        var guest = new InProcessClient(daemon, 5, privileged: false);
        guest.Ok(guest.Write("/shared/before", "1"));

        dom0.Ok(dom0.Send(MessageType.Release, "5"));

        Assert.True(guest.IsClosed);
        Assert.Null(guest.TryWrite("/shared/after", "1", TimeSpan.FromMilliseconds(200)));
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/shared/after").ErrorName());
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/shared/before").ErrorName());
    }

    private static int NodesOwnedBy(GuestSession s, uint domid)
    {
        lock (s.Daemon.Sync) return s.Daemon.Live.NodesOwnedBy(domid);
    }
}
