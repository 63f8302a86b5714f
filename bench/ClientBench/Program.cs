using System.Diagnostics;
using XenStore.Client;

// ClientBench SOCKET [TREE=10000]
// Prints: round trips/s on one connection, pipelined reads/s, and the time to read a tree of
// TREE nodes recursively, beside `xenstore-ls -f` reading the same tree from the same daemon.
// ClientBench --ring
// Prints ring round trips/s for one guest and in aggregate for 16 guests (our daemon with the
// simulated hypervisor, guests on their rings through the client's ring transport).
if (args[0] == "--ring")
{
    await RingBench.RunAsync();
    return;
}
var socket = args[0];
var treeSize = args.Length > 1 ? int.Parse(args[1]) : 10_000;
await using var client = await XenStoreClient.ConnectSocketAsync(socket);

// Warm-up: the JIT reaches its steady state before anything is timed.
for (var i = 0; i < 20_000; i++) await client.ReadAsync("/tool/xenstored");

var sw = Stopwatch.StartNew();
var roundTrips = 0;
while (sw.Elapsed < TimeSpan.FromSeconds(2))
{
    await client.ReadAsync("/tool/xenstored");
    roundTrips++;
}
Console.WriteLine($"round-trips/s {roundTrips / sw.Elapsed.TotalSeconds:F0}");

sw.Restart();
var pipelined = 0;
while (sw.Elapsed < TimeSpan.FromSeconds(2))
{
    var batch = new Task<byte[]>[256];
    for (var i = 0; i < batch.Length; i++) batch[i] = client.ReadAsync("/tool/xenstored");
    await Task.WhenAll(batch);
    pipelined += batch.Length;
}
Console.WriteLine($"pipelined-reads/s {pipelined / sw.Elapsed.TotalSeconds:F0}");

// A tree of treeSize nodes: 100 directories of treeSize/100 leaves.
var root = "/clientbench";
await client.RemoveAsync(root);
var writes = new List<Task>();
for (var d = 0; d < 100; d++)
    for (var l = 0; l < treeSize / 100 - 1; l++)
        writes.Add(client.WriteAsync($"{root}/d{d}/leaf{l}", $"value-{d}-{l}"));
await Task.WhenAll(writes);

double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
var ours = new List<double>();
var ls = new List<double>();
var count = 0;
for (var rep = 0; rep < 5; rep++)
{
    sw.Restart();
    count = (await client.ListRecursiveAsync(root)).Count;
    ours.Add(sw.Elapsed.TotalMilliseconds);
    var psi = new ProcessStartInfo("xenstore-ls", ["-f", root]) { RedirectStandardOutput = true, UseShellExecute = false };
    psi.Environment["XENSTORED_PATH"] = socket;
    sw.Restart();
    using (var p = Process.Start(psi)!)
    {
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
    }
    ls.Add(sw.Elapsed.TotalMilliseconds);
}
Console.WriteLine($"recursive-listing-nodes {count}");
Console.WriteLine($"recursive-listing-ms {Median(ours):F1}");
Console.WriteLine($"xenstore-ls-f-ms {Median(ls):F1}");
await client.RemoveAsync(root);
