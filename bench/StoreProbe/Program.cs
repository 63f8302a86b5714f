using System.Diagnostics;
using System.Text;
using XenStore.Daemon;
using XenStore.Protocol;

// StoreProbe pauses [DOMAINS=1000] [NODES=1000]
// The same fill, then a READ of every node, listing each collection on the way (generation,
// pause, bytes promoted). Run it with DOTNET_GCGen0MaxBudget=100000 DOTNET_GCGen1MaxBudget=80000
// for the standalone daemon's budgets (src/Daemon/CollectorBudgets.cs), without for the runtime's.
// StoreProbe memory [DOMAINS=1000] [NODES=1000]
// Fills /local/domain/<d>/data/k<i> as the scale benchmark does and prints the managed heap
// per node after a full collection: the store's own footprint, without the GC's headroom.
// StoreProbe alloc [DOMAINS=20] [ROUNDS=50]
// Managed bytes allocated per request (new-node WRITE into a 1,000-child directory, WRITE
// over an existing node, READ of a leaf, DIRECTORY of a small one; a guest's overwrite and READ
// by relative path; overwrites that fire watches), framing included, and the
// share of the tree's path copying in it, measured on a bare tree of the same shape. Counts,
// not timings: reads repeat to the byte from run to run, writes within a few percent (the
// large directories' tables and chunks grow at different moments), so a change of a few bytes shows.
// StoreProbe lookup [CHILDREN=200000] [LOOKUPS=1000000]
// ns per lookup by name in a directory of CHILDREN, of names present and absent, in random order
// (LookupProbe): the store's own search, without the collector.
// StoreProbe [FILL=200000] [BATCH=20000] [REPS=5]
// Drives the daemon in process (no sockets): BATCH new-node WRITEs into an empty directory
// /fill (removed after each rep), then the same into /fill holding FILL children. Per rep:
// ns per write, GC collections per generation and GC pause time, so the cost of the store's
// lookups and inserts can be told from the collector's. Last, overwrites of an existing leaf
// and of the big directory's own value.
if (args.Length > 0 && args[0] == "pauses")
{
    PauseProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 1000, args.Length > 2 ? int.Parse(args[2]) : 1000);
    return;
}
if (args.Length > 0 && args[0] == "alloc")
{
    AllocProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 20, args.Length > 2 ? int.Parse(args[2]) : 50);
    return;
}
if (args.Length > 0 && args[0] == "lookup")
{
    LookupProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 200_000, args.Length > 2 ? int.Parse(args[2]) : 1_000_000);
    return;
}
if (args.Length > 0 && args[0] == "memory")
{
    MemoryProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 1000, args.Length > 2 ? int.Parse(args[2]) : 1000);
    return;
}
var fill = args.Length > 0 ? int.Parse(args[0]) : 200_000;
var batch = args.Length > 1 ? int.Parse(args[1]) : 20_000;
var reps = args.Length > 2 ? int.Parse(args[2]) : 5;

using var daemon = new XenStoreDaemon(new DaemonOptions { CreateDom0Nodes = false });
var conn = daemon.Connect();
uint req = 0;

void Send(MessageType type, string path, string? value = null)
{
    var p = Encoding.ASCII.GetBytes(value is null ? path + "\0" : path + "\0" + value);
    conn.Process(new Message(type, ++req, 0, p));
    if ((req & 63) == 0) Drain();
}
void Drain()
{
    while (conn.TryTakeOutput(out var buf, out var len))
    {
        // The reply types are not checked here; an error would show as an absurd node count.
        DaemonConnection.ReturnOutput(buf);
    }
}
void Writes(string prefix, int count)
{
    for (var i = 0; i < count; i++) Send(MessageType.Write, $"/fill/{prefix}{i}", "v");
    Drain();
}
void Measure(string label, string prefix)
{
    var g0 = GC.CollectionCount(0); var g1 = GC.CollectionCount(1); var g2 = GC.CollectionCount(2);
    var pause = GC.GetTotalPauseDuration();
    var alloc = GC.GetTotalAllocatedBytes();
    var sw = Stopwatch.StartNew();
    Writes(prefix, batch);
    var t = sw.Elapsed;
    var gcp = GC.GetTotalPauseDuration() - pause;
    Console.WriteLine($"{label,-6} {t.TotalNanoseconds / batch,7:F0} ns/write  gc pause {gcp.TotalNanoseconds / batch,6:F0} ns/write  " +
        $"non-GC {(t - gcp).TotalNanoseconds / batch,6:F0} ns/write  alloc {(GC.GetTotalAllocatedBytes() - alloc) / batch,5} B/write  " +
        $"GCs gen0 {GC.CollectionCount(0) - g0 - (GC.CollectionCount(1) - g1)} gen1 {GC.CollectionCount(1) - g1 - (GC.CollectionCount(2) - g2)} gen2 {GC.CollectionCount(2) - g2}  " +
        $"nodes {daemon.NodeCount}");
}

// Warm-up (JIT tiering).
for (var w = 0; w < 20; w++) { Writes($"w{w}-", batch); Send(MessageType.Rm, "/fill"); Drain(); }
for (var r = 0; r < reps; r++) { Measure("empty", $"e{r}-"); Send(MessageType.Rm, "/fill"); Drain(); }
Writes("n", fill);
GC.Collect();
for (var r = 0; r < reps; r++) Measure("full", $"f{r}-");

// Overwriting the value of an existing node: a leaf, then the directory of FILL children itself.
foreach (var (label, path, count) in new[] { ("leaf", "/fill/n0", batch), ("dir", "/fill", 200) })
{
    var sw = Stopwatch.StartNew();
    for (var i = 0; i < count; i++) Send(MessageType.Write, path, "x");
    Drain();
    Console.WriteLine($"overwrite {label,-4} {sw.Elapsed.TotalNanoseconds / count,9:F0} ns/write ({path}, {count} writes)");
}
