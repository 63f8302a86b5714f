using System.Diagnostics.Tracing;

namespace XenStore.Daemon;

/// <summary>
/// The garbage collector's pauses as this process sees them: from the runtime's own GC events
/// (the span from suspending the threads to restarting them, which is what a request waiting
/// for the daemon feels), counted per generation, with the longest and the total. Read by
/// CONTROL memreport, so a pause can be told from a slow request on a live daemon, as
/// dotnet-counters would show it from outside. One listener per process; its cost is a few
/// events per collection. A runtime that delivers no GC events (Native AOT) is reported through
/// <see cref="GcPauseSampler"/> instead, which runs beside the listener: the events stay the
/// source wherever they arrive, because they time every pause, where the sampler can miss one.
/// </summary>
internal sealed class GcPauses : EventListener
{
    // Microsoft-Windows-DotNETRuntime's GC keyword, and the events of its GC channel used here.
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GCStart = 1;
    private const int RestartEEEnd = 3;
    private const int SuspendEEBegin = 9;

    private static readonly Lazy<GcPauses> Shared = new(() => new GcPauses());

    private readonly object gate = new();
    private readonly GcPauseSampler sampler = new();
    private bool eventsArrived;
    private DateTime? suspendedAt;
    private int generation;
    private readonly long[] count = new long[3];
    private readonly double[] longestMs = new double[3];
    private double totalMs;

    private GcPauses() { }

    /// <summary>The process's listener, started on first use.</summary>
    public static GcPauses Process => Shared.Value;

    /// <summary>Pauses so far: per generation collected, how many and the longest; and the total.</summary>
    public string Report()
    {
        lock (gate)
        {
            var info = GC.GetGCMemoryInfo();
            return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"gc mode: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "non-concurrent" : "concurrent")}\n"
                + $"gc budgets: gen0 {Gen0Budget()}, gen1 {Gen1Budget()}\n"
                + $"{Pauses()}"
                + $"gc heap: {info.HeapSizeBytes} bytes, fragmented {info.FragmentedBytes}, committed {info.TotalCommittedBytes}\n");
        }
    }

    /// <summary>The "gc pauses" line: from the runtime's events once any has arrived, else from the sampler.</summary>
    private string Pauses()
    {
        var (counts, longest, total, source) = eventsArrived
            ? (count, longestMs, totalMs, "runtime events")
            : (GcPauseSampler.Counts(), sampler.LongestMs(), GcPauseSampler.TotalMs(), "sampled after each collection");
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"gc pauses: gen0 {counts[0]} (longest {longest[0]:F1} ms), gen1 {counts[1]} (longest {longest[1]:F1} ms), gen2 {counts[2]} (longest {longest[2]:F1} ms), total {total:F0} ms ({source})\n");
    }

    /// <summary>
    /// The largest gen0 budget the collector chose or was given, in bytes. A Native AOT runtime
    /// lists no GCGen0MaxBudget among its settings, yet honours the variable (a fixed allocation
    /// loop collects gen0 18 times as often with 1 MiB, as under the JIT): there it is read from
    /// the environment, as the gen1 budget is everywhere.
    /// </summary>
    private static string Gen0Budget() =>
        GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var bytes) ? $"{bytes} B" : FromEnvironment("DOTNET_GCGen0MaxBudget");

    /// <summary>The gen1 budget given in the environment (the runtime reports it nowhere), in bytes.</summary>
    private static string Gen1Budget() => FromEnvironment("DOTNET_GCGen1MaxBudget");

    /// <summary>A budget variable's value (hexadecimal, as the runtime reads it) in bytes, or the runtime's choice when unset or 0.</summary>
    private static string FromEnvironment(string variable) =>
        long.TryParse(Environment.GetEnvironmentVariable(variable), System.Globalization.NumberStyles.HexNumber,
            System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 0 ? $"{bytes} B" : "runtime's choice";

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventId)
        {
            case SuspendEEBegin:
                lock (gate) suspendedAt = e.TimeStamp;
                break;
            case GCStart when e.Payload is { Count: > 1 } payload && payload[1] is uint depth:
                lock (gate) generation = (int)Math.Min(depth, 2);
                break;
            case RestartEEEnd:
                lock (gate)
                {
                    // Events reach listeners late and in batches: their time stamps say when they happened.
                    if (suspendedAt is not { } since) return;
                    var ms = (e.TimeStamp - since).TotalMilliseconds;
                    suspendedAt = null;
                    eventsArrived = true;
                    count[generation]++;
                    longestMs[generation] = Math.Max(longestMs[generation], ms);
                    totalMs += ms;
                }
                break;
        }
    }
}
