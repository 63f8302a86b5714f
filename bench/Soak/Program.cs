using System.Diagnostics;
using XenStore.Client;
using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Transport;

// Soak [SECONDS=120] [SOCKETS=8] [GUESTS=8]
// One daemon (socket and simulated-hypervisor rings) under mixed load: socket clients write,
// read, list, watch and run transactions; ring guests appear, work and are destroyed again.
// Reports operations, errors, the peak managed memory, and whether memory came back to its
// baseline once the load stopped.
var seconds = args.Length > 0 ? int.Parse(args[0]) : 120;
var sockets = args.Length > 1 ? int.Parse(args[1]) : 8;
var guests = args.Length > 2 ? int.Parse(args[2]) : 8;
var dir = Directory.CreateTempSubdirectory("xsps-soak-").FullName;
var sim = Path.Combine(dir, "sim");
using var daemon = new XenStoreDaemon(new DaemonOptions { RingPlatform = new SimulatedXen(sim) });
await using var server = UnixSocketServer.Start(daemon, Path.Combine(dir, "socket"));
await using var dom0 = await XenStoreClient.ConnectSocketAsync(server.SocketPath);

long Memory()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    return GC.GetTotalMemory(true);
}
var baseline = Memory();
var baselineNodes = daemon.NodeCount;
long operations = 0, errors = 0, peak = baseline;
var stop = DateTime.UtcNow.AddSeconds(seconds);
var unexpected = new List<string>();

async Task SocketWorker(int k)
{
    await using var c = await XenStoreClient.ConnectSocketAsync(server.SocketPath);
    var random = new Random(k);
    await using var watch = await c.WatchAsync($"/soak/s{k}");
    while (DateTime.UtcNow < stop)
    {
        try
        {
            var path = $"/soak/s{k}/n{random.Next(200)}";
            switch (random.Next(5))
            {
                case 0: await c.WriteAsync(path, random.Next().ToString()); break;
                case 1: await c.ReadAsync(path).ContinueWith(_ => { }); break;
                case 2: await c.ListAsync($"/soak/s{k}").ContinueWith(_ => { }); break;
                case 3: await c.RemoveAsync(path).ContinueWith(_ => { }); break; // ENOENT until the parent exists
                default:
                    await c.RunTransactionAsync(async tx =>
                    {
                        await tx.WriteAsync($"/soak/shared/{random.Next(4)}", k.ToString());
                        await tx.ReadAsync($"/soak/shared/{random.Next(4)}").ContinueWith(_ => { });
                    }, maxAttempts: 100);
                    break;
            }
            while (watch.DroppedEvents >= 0 && await TryTake(watch)) { }
            Interlocked.Increment(ref operations);
        }
        catch (XenStoreException e)
        {
            Interlocked.Increment(ref errors);
            lock (unexpected) if (unexpected.Count < 10) unexpected.Add(e.Message);
        }
    }
}

static async Task<bool> TryTake(XenStoreWatch w)
{
    using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(1));
    try { return await w.ReadAsync(cts.Token) is not null; }
    catch (OperationCanceledException) { return false; }
}

async Task GuestWorker(int slot)
{
    var generation = 0;
    while (DateTime.UtcNow < stop)
    {
        var domid = (uint)(100 + slot * 100 + generation++ % 50);
        await using (var guest = XenStoreClient.Create(RingTransport.CreateSimulatedGuest(sim, domid)))
        {
            await dom0.IntroduceAsync(domid, 1, 1);
            await dom0.MkdirAsync($"/local/domain/{domid}/data");
            await dom0.SetPermissionsAsync($"/local/domain/{domid}/data", PermissionList.Parse($"n{domid}"));
            var watch = await guest.WatchAsync("data");
            for (var i = 0; i < 200 && DateTime.UtcNow < stop; i++)
            {
                await guest.WriteAsync($"data/k{i % 20}", i.ToString());
                await guest.ReadAsync($"data/k{i % 20}");
                Interlocked.Add(ref operations, 2);
            }
            // The guest winds down before the hypervisor destroys it: nothing answers a dead domain.
            await watch.DisposeAsync();
            await dom0.ControlAsync("sim-destroy", domid.ToString());
            await dom0.RemoveAsync($"/local/domain/{domid}"); // the toolstack's part of cleaning up
        }
        var now = GC.GetTotalMemory(false);
        if (now > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, now);
    }
}

var sw = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, sockets).Select(k => Task.Run(() => SocketWorker(k)))
    .Concat(Enumerable.Range(0, guests).Select(g => Task.Run(() => GuestWorker(g)))));
await dom0.RemoveAsync("/soak");
var after = Memory();
Console.WriteLine($"duration-s {sw.Elapsed.TotalSeconds:F0}");
Console.WriteLine($"operations {operations}");
Console.WriteLine($"errors {errors}");
Console.WriteLine($"domains-left {daemon.IntroducedDomains.Count}");
Console.WriteLine($"nodes-before {baselineNodes}");
Console.WriteLine($"nodes-after {daemon.NodeCount}");
Console.WriteLine($"memory-baseline-bytes {baseline}");
Console.WriteLine($"memory-peak-bytes {peak}");
Console.WriteLine($"memory-after-bytes {after}");
Console.WriteLine($"memory-back-to-baseline {(after < baseline * 2 + (4 << 20) ? "yes" : "no")}");
foreach (var e in unexpected) Console.WriteLine($"error: {e}");
Directory.Delete(dir, recursive: true);
return errors == 0 && daemon.IntroducedDomains.Count == 0 && daemon.NodeCount == baselineNodes ? 0 : 1;
