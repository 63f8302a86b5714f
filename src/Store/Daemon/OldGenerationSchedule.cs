using System.Runtime;

namespace XenStore.Daemon;

/// <summary>
/// Keeps the collector from collecting the old generation while a store grows fast. Then
/// nearly everything a write makes stays: the collector's budget, which follows the old
/// generation's growth, started a background collection each time that generation doubled
/// (seven in a million-node fill), each found next to nothing dead, and a young collection that
/// fell inside one waited for the background thread to let it in (2-6 ms under the JIT, 14-24
/// ms under Native AOT: the probe's worst READs).
/// So while the store gains at least <see cref="FastGrowth"/> nodes a tick, the process runs
/// in <see cref="GCLatencyMode.LowLatency"/> (young collections only, unless memory runs
/// short); otherwise, and as soon as the heap holds a quarter more than the store's growth
/// explains (8 MB at least) or the collector shows it wants its old generation, it runs the
/// collector's own policy, in the latter cases until that has run a full collection
/// (bench/results.md, Scale). Low latency is not free: its young budgets are fixed at 256 KB,
/// four times as many young collections as the host's own budgets give, which cost a boot
/// storm's small, busy store a third more CPU per request; hence only while growth is fast.
/// The schedule never asks for a collection: asked, the collector collected blocking (24-49 ms
/// at 50 MB) where on its own it collects in the background.
/// Process-wide: for a daemon host, not for a daemon inside someone's PowerShell session.
/// </summary>
public sealed class OldGenerationSchedule : IDisposable
{
    /// <summary>How often the heap is looked at.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <summary>New nodes a tick from which the store grows fast (10,000 a second; a pipelined fill adds 250,000).</summary>
    internal const long FastGrowth = 1_000;

    /// <summary>Garbage that is never worth a collection of its own.</summary>
    internal const long Floor = 8L << 20;

    /// <summary>
    /// Growth a new node accounts for: a node of a large store costs the heap 55-65 bytes with
    /// short values (bench/StoreProbe memory), so up to this much per node is the store's and
    /// not garbage. Larger values are counted as garbage, and collected no later than before.
    /// </summary>
    internal const long NodeAllowance = 256;

    private readonly Thread thread;
    private readonly CancellationTokenSource stop = new();
    private readonly Func<long> storeNodes;

    /// <summary>The last full collection seen, by its index; what it left occupied, and the store's nodes then.</summary>
    private long lastFullCollection;
    private long liveAfterLastCollection;
    private long nodesAtLastCollection;

    private OldGenerationSchedule(Func<long> storeNodes)
    {
        this.storeNodes = storeNodes;
        liveAfterLastCollection = Occupied(GC.GetGCMemoryInfo());
        nodesAtLastCollection = storeNodes();
        lastFullCollection = LastFullCollection().Index;
        thread = new Thread(Run) { IsBackground = true, Name = "old generation schedule" };
    }

    /// <summary>
    /// Starts watching the store's growth, or returns null where the collector is not in its
    /// default, interactive mode: a server collector (low latency is a workstation mode) or a
    /// non-concurrent one, which keeps its mode.
    /// <paramref name="storeNodes"/> counts the store's nodes, whose growth is not garbage.
    /// </summary>
    public static OldGenerationSchedule? Start(Func<long> storeNodes)
    {
        if (GCSettings.IsServerGC || GCSettings.LatencyMode != GCLatencyMode.Interactive) return null;
        var schedule = new OldGenerationSchedule(storeNodes);
        schedule.thread.Start();
        return schedule;
    }

    /// <summary>
    /// Whether the old generation is due: the heap holds <paramref name="grown"/> bytes more
    /// than just after the last full collection, which left <paramref name="live"/>, and the
    /// store has <paramref name="newNodes"/> more nodes.
    /// </summary>
    internal static bool IsDue(long grown, long live, long newNodes) =>
        grown - Math.Max(0, newNodes) * NodeAllowance >= Math.Max(live / 4, Floor);

    private void Run()
    {
        long young = GC.CollectionCount(0), older = GC.CollectionCount(1), nodes = storeNodes();
        while (!stop.Token.WaitHandle.WaitOne(Tick))
        {
            long youngNow = GC.CollectionCount(0), olderNow = GC.CollectionCount(1), nodesNow = storeNodes();
            NoteFullCollection(nodesNow);
            if (nodesNow - nodes < FastGrowth)
                GCSettings.LatencyMode = GCLatencyMode.Interactive;
            else if (IsDue(Occupied(GC.GetGCMemoryInfo()) - liveAfterLastCollection, liveAfterLastCollection, nodesNow - nodesAtLastCollection)
                || CollectorWantsTheOldGeneration(youngNow - young, olderNow - older))
            {
                LeaveToTheCollector(nodesNow);
                // The wait may have been long: the next tick measures from its end.
                (youngNow, olderNow, nodesNow) = (GC.CollectionCount(0), GC.CollectionCount(1), storeNodes());
            }
            else
                GCSettings.LatencyMode = GCLatencyMode.LowLatency;
            (young, older, nodes) = (youngNow, olderNow, nodesNow);
        }
    }

    /// <summary>
    /// Whether the collector's own budget says the old generation is due: under low latency it
    /// then makes young collections gen1 ones, at least half of them (a growing store's are about
    /// one in ten). <paramref name="collections"/> of every kind in a tick, <paramref name="gen1"/> of them gen1 or older.
    /// </summary>
    internal static bool CollectorWantsTheOldGeneration(long collections, long gen1) => collections >= 10 && 2 * gen1 >= collections;

    /// <summary>
    /// The collector's own policy until it has run a full collection, which it starts at its next
    /// young one, in the background (its own budget was passed long ago). Under low latency a
    /// collector whose old generation is due makes every young collection a gen1 one instead
    /// (27,000 of them in 8 s of overwrites). <paramref name="nodes"/>: the store's nodes now,
    /// which the collection's base counts.
    /// </summary>
    private void LeaveToTheCollector(long nodes)
    {
        GCSettings.LatencyMode = GCLatencyMode.Interactive;
        while (LastFullCollection().Index == lastFullCollection && !stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(10))) { }
        NoteFullCollection(nodes);
    }

    /// <summary>Takes what the latest full collection left as the new base, if there was one since the last (<paramref name="nodes"/>: the store's nodes about when it ran).</summary>
    private void NoteFullCollection(long nodes)
    {
        var latest = LastFullCollection();
        if (latest.Index == lastFullCollection) return;
        lastFullCollection = latest.Index;
        liveAfterLastCollection = Occupied(latest);
        nodesAtLastCollection = nodes;
    }

    /// <summary>The latest full collection, background or blocking.</summary>
    private static GCMemoryInfo LastFullCollection()
    {
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return background.Index > blocking.Index ? background : blocking;
    }

    /// <summary>The heap's bytes in objects (live or not yet found dead) just after the collection <paramref name="info"/> describes.</summary>
    private static long Occupied(GCMemoryInfo info) => info.HeapSizeBytes - info.FragmentedBytes;

    /// <summary>Stops looking; the latency mode stays as it is, for a process about to end.</summary>
    public void Dispose()
    {
        stop.Cancel();
        thread.Join();
        stop.Dispose();
    }
}
