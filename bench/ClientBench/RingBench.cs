using System.Diagnostics;
using XenStore.Client;
using XenStore.Daemon;
using XenStore.Ring;
using XenStore.Transport;

/// <summary>Round trips over rings of the simulated hypervisor, one guest and sixteen at once.</summary>
internal static class RingBench
{
    public static async Task RunAsync()
    {
        var sim = Directory.CreateTempSubdirectory("xsps-ringbench-").FullName;
        try
        {
            using var daemon = new XenStoreDaemon(new DaemonOptions { RingPlatform = new SimulatedXen(sim) });
            await using var dom0 = XenStoreClient.Create(new InProcessTransport(daemon));
            var guests = new List<XenStoreClient>();
            for (uint d = 1; d <= 16; d++)
            {
                guests.Add(XenStoreClient.Create(RingTransport.CreateSimulatedGuest(sim, d)));
                await dom0.IntroduceAsync(d, 1, 1);
                await dom0.WriteAsync($"/local/domain/{d}/data/x", "v");
                await dom0.SetPermissionsAsync($"/local/domain/{d}/data", XenStore.Protocol.PermissionList.Parse($"n{d}"));
                await dom0.SetPermissionsAsync($"/local/domain/{d}/data/x", XenStore.Protocol.PermissionList.Parse($"n{d}"));
            }
            foreach (var g in guests) for (var i = 0; i < 2000; i++) await g.ReadAsync("data/x"); // warm-up
            Console.WriteLine($"ring-round-trips/s-1-guest {await Rate(guests.Take(1).ToList()):F0}");
            Console.WriteLine($"ring-round-trips/s-16-guests {await Rate(guests):F0}");
            foreach (var g in guests) await g.DisposeAsync();
        }
        finally
        {
            Directory.Delete(sim, recursive: true);
        }
    }

    /// <summary>Requests per second, summed over guests each doing sequential round trips for 2 s.</summary>
    private static async Task<double> Rate(List<XenStoreClient> guests)
    {
        var sw = Stopwatch.StartNew();
        var counts = await Task.WhenAll(guests.Select(g => Task.Run(async () =>
        {
            var n = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(2))
            {
                await g.ReadAsync("data/x");
                n++;
            }
            return n;
        })));
        return counts.Sum() / sw.Elapsed.TotalSeconds;
    }
}
