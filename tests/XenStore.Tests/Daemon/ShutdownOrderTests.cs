using XenStore.Client;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Daemon;

/// <summary>The standalone host stops in order: no more accepting, then the rings, then the store and its journal, then the platform.</summary>
public sealed class ShutdownOrderTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task SigtermWithAGuestOnItsRingExitsCleanly()
    {
        var runDir = TestEnvironment.NewRunDir("shutdown");
        var sim = Path.Combine(runDir, "sim");
        try
        {
            using var host = StandaloneDaemon.Start(["--sim-xen", sim, "--persist", Path.Combine(runDir, "store")], runDir: runDir);
            await using var dom0 = await XenStoreClient.ConnectSocketAsync(host.SocketPath);
            await using var guest = XenStoreClient.Create(RingTransport.CreateSimulatedGuest(sim, 12));
            guest.RequestTimeout = Step;
            await dom0.IntroduceAsync(12, 1, 1).WaitAsync(Step);
            await dom0.WriteAsync("/local/domain/12/data", "").WaitAsync(Step);
            await dom0.SetPermissionsAsync("/local/domain/12/data", new XenStore.Protocol.PermissionList([new(12, XenStore.Protocol.PermissionAccess.None)])).WaitAsync(Step);
            await guest.WriteAsync("/local/domain/12/data/up", "1").WaitAsync(Step);
            // Left registered: the daemon stops with it in place (unwatching a stopped daemon would wait for ever).
            _ = await guest.WatchAsync("/local/domain/12/data").WaitAsync(Step);

            Assert.Equal(0, host.Stop(TimeSpan.FromSeconds(20)));
            Assert.Equal("", host.StandardError);
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
