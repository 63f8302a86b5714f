using XenStore.Client;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Ring;

/// <summary>Our own client as a guest: XenStoreClient over the ring transport of the simulated hypervisor.</summary>
public sealed class RingClientTests
{
    [Fact]
    public async Task TheClientWorksAsAGuestOnItsRing()
    {
        using var s = new GuestSession();
        await using var guest = XenStoreClient.Create(RingTransport.CreateSimulatedGuest(s.SimDirectory, 40));
        s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "40", "1", "1"));
        s.PrepareHome(40);

        await guest.WriteAsync("data/from-guest", "hello");
        Assert.Equal("hello", s.Dom0.Send(MessageType.Read, "/local/domain/40/data/from-guest").Text());
        Assert.Equal("n40", (await guest.GetPermissionsAsync("data/from-guest")).ToString());
        var denied = await Assert.ThrowsAsync<XenStoreException>(() => guest.ReadAsync("/local/domain/0/name"));
        Assert.Equal(XenStoreErrorCode.EACCES, denied.Code);

        // Many requests in flight: more bytes than the 1 KiB ring holds, in both directions.
        var values = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => guest.ReadStringAsync("data/from-guest")));
        Assert.All(values, v => Assert.Equal("hello", v));

        await using var watch = await guest.WatchAsync("data");
        Assert.Equal("data", (await watch.ReadAsync())!.Path);
        // Every change made by others reaches the guest, one after the other.
        for (var i = 0; i < 5; i++)
        {
            s.Dom0.Ok(s.Dom0.Write("/local/domain/40/data/by-dom0", i.ToString()));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal("data/by-dom0", (await watch.ReadAsync(timeout.Token))!.Path);
        }

        await guest.RunTransactionAsync(async tx => await tx.WriteAsync("data/tx", "committed"));
        Assert.Equal("committed", s.Dom0.Send(MessageType.Read, "/local/domain/40/data/tx").Text());
    }

    [Fact]
    public async Task ARingResetStartsAfreshAndTheClientGoesOn()
    {
        using var s = new GuestSession();
        var transport = RingTransport.CreateSimulatedGuest(s.SimDirectory, 41);
        await using var guest = XenStoreClient.Create(transport);
        s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "41", "1", "1"));
        s.PrepareHome(41);
        Assert.Equal(RingLayout.FeatureReconnection | RingLayout.FeatureError, transport.Ring.ServerFeatures);
        await guest.WriteAsync("data/a", "1");
        await transport.ResetAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("1", await guest.ReadStringAsync("data/a"));
    }

    [Fact]
    public async Task ASecondConnectionForTheSameDomainIsRefusedAndTheFirstKeepsWorking()
    {
        using var s = new GuestSession();
        var first = XenStoreClient.Create(RingTransport.CreateSimulatedGuest(s.SimDirectory, 42));
        s.Dom0.Ok(s.Dom0.Send(MessageType.Introduce, "42", "1", "1"));
        s.PrepareHome(42);
        var refused = Assert.Throws<RingInUseException>(() => RingTransport.CreateSimulatedGuest(s.SimDirectory, 42));
        Assert.Equal(42u, refused.DomainId);
        Assert.Contains("domain 42's ring", refused.Message, StringComparison.Ordinal);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await first.WriteAsync("data/still", "mine", timeout.Token);
            Assert.Equal("mine", await first.ReadStringAsync("data/still", timeout.Token));
        }
        // Closing the first gives the ring back.
        await first.DisposeAsync();
        await using var second = XenStoreClient.Create(RingTransport.CreateSimulatedGuest(s.SimDirectory, 42));
    }
}
