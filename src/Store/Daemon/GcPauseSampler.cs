namespace XenStore.Daemon;

/// <summary>
/// The collector's pauses without its events (which cost the daemon CPU to listen to, and which
/// a Native AOT runtime does not deliver in process). Counts per generation and the
/// total come from the runtime's own counters (exact); the longest pause per generation is read
/// after each collection from the runtime's account of the last collection of each kind
/// (ephemeral, blocking full, background), by a finalizable sentinel that each collection finds
/// dead and that leaves a new one behind. Two collections before the finalizer thread runs
/// show only the later one's pause, so the longest is a lower bound when collections come in bursts.
/// </summary>
internal sealed class GcPauseSampler
{
    private static readonly GCKind[] Kinds = [GCKind.Ephemeral, GCKind.FullBlocking, GCKind.Background];

    private readonly object gate = new();
    private readonly long[] lastIndex = new long[Kinds.Length];
    private readonly double[] longestMs = new double[3];
    private long collectionsSampled;

    /// <summary>Starts sampling: from the next collection on, until the process ends.</summary>
    public GcPauseSampler()
    {
        Sample(); // a collection before this one (a recovery's) still counts
        _ = new Sentinel(this);
    }

    /// <summary>Collections since the process started, per generation collected (each counted once, at its deepest generation).</summary>
    public static long[] Counts()
    {
        long gen2 = GC.CollectionCount(2), gen1 = GC.CollectionCount(1), gen0 = GC.CollectionCount(0);
        return [gen0 - gen1, gen1 - gen2, gen2];
    }

    /// <summary>Every pause since the process started, in milliseconds.</summary>
    public static double TotalMs() => GC.GetTotalPauseDuration().TotalMilliseconds;

    /// <summary>The longest pause seen per generation, in milliseconds.</summary>
    public double[] LongestMs()
    {
        lock (gate) return (double[])longestMs.Clone();
    }

    /// <summary>Collections whose pauses were read (fewer than ran when several came before one sample).</summary>
    public long CollectionsSampled
    {
        get
        {
            lock (gate) return collectionsSampled;
        }
    }

    private void Sample()
    {
        lock (gate)
            for (var k = 0; k < Kinds.Length; k++)
            {
                var info = GC.GetGCMemoryInfo(Kinds[k]);
                if (info.Index <= lastIndex[k]) continue;
                lastIndex[k] = info.Index;
                collectionsSampled++;
                var generation = Math.Min(info.Generation, 2);
                // A background collection stops the threads twice (at its start and its end);
                // each is a pause of its own, as the runtime's events count them.
                foreach (var pause in info.PauseDurations)
                    longestMs[generation] = Math.Max(longestMs[generation], pause.TotalMilliseconds);
            }
    }

    /// <summary>Unreachable from birth: the next collection finalizes it, which samples and leaves a new one.</summary>
    private sealed class Sentinel(GcPauseSampler owner)
    {
        ~Sentinel()
        {
            owner.Sample();
            _ = new Sentinel(owner);
        }
    }
}
