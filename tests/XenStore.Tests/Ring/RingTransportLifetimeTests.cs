using System.Reflection;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Ring;

/// <summary>The guest's ring transport: no touch of an unmapped page, no wake counted for nobody.</summary>
public sealed class RingTransportLifetimeTests
{
    [Fact]
    public async Task AResetAfterDisposeThrowsObjectDisposed()
    {
        var sim = TestEnvironment.NewRunDir("reset-disposed");
        try
        {
            var transport = RingTransport.CreateSimulatedGuest(sim, 7);
            await transport.DisposeAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => transport.ResetAsync(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            Directory.Delete(sim, recursive: true);
        }
    }

    [Fact]
    public async Task ADisposeDuringAResetEndsItWithObjectDisposed()
    {
        var sim = TestEnvironment.NewRunDir("reset-race");
        try
        {
            var transport = RingTransport.CreateSimulatedGuest(sim, 8);
            using var daemonEnd = new SimulatedXen(sim).Attach(8, 0, 0);
            // The daemon offers reconnection and never answers: the reset waits until disposed.
            daemonEnd.Ring.ServerFeatures = RingLayout.FeatureReconnection;
            var reset = transport.ResetAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(100);
            await transport.DisposeAsync();
            var finished = await Task.WhenAny(reset, Task.Delay(TimeSpan.FromSeconds(5)));
            Assert.Same(reset, finished);
            await Assert.ThrowsAsync<ObjectDisposedException>(() => reset);
        }
        finally
        {
            Directory.Delete(sim, recursive: true);
        }
    }

    [Fact]
    public async Task NotificationsNobodyWaitsForDoNotPileUp()
    {
        var sim = TestEnvironment.NewRunDir("wakes");
        try
        {
            await using var transport = RingTransport.CreateSimulatedGuest(sim, 9);
            using var daemonEnd = new SimulatedXen(sim).Attach(9, 0, 0);
            for (var i = 0; i < 50; i++)
            {
                daemonEnd.Channel.Notify();
                await Task.Delay(2);
            }
            await Task.Delay(200);
            foreach (var name in new[] { "sendWake", "receiveWake" })
            {
                var wake = (SemaphoreSlim)typeof(RingTransport).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(transport)!;
                Assert.InRange(wake.CurrentCount, 0, 1);
            }
        }
        finally
        {
            Directory.Delete(sim, recursive: true);
        }
    }
}
