using XenStore.Ring;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Ring;

/// <summary>The simulated hypervisor's event channel behaves as a real one: a notification never waits.</summary>
public sealed class EventChannelTests
{
    [Fact]
    public async Task NotifyingAnEndThatNeverReadsNeverBlocks()
    {
        var dir = TestEnvironment.NewRunDir("evtchn-full");
        try
        {
            var daemonEnd = Path.Combine(dir, "daemon.evtchn");
            var guestEnd = Path.Combine(dir, "guest.evtchn");
            using var daemon = new UnixDatagramEventChannel(daemonEnd, guestEnd);
            // A guest that binds its end and never reads it: its queue fills after a few datagrams.
            using var guest = new UnixDatagramEventChannel(guestEnd, daemonEnd);
            var flood = Task.Run(() =>
            {
                for (var i = 0; i < 10_000; i++) daemon.Notify();
            });
            Assert.Same(flood, await Task.WhenAny(flood, Task.Delay(TimeSpan.FromSeconds(10))));

            // The guest still learns that there is something to look at.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await guest.WaitAsync(timeout.Token);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
