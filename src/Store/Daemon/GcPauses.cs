namespace XenStore.Daemon;

/// <summary>
/// The garbage collector as this process sees it, for CONTROL memreport: its mode, budgets,
/// heap, and its pauses (suspension to restart, what a request waiting for the daemon feels)
/// per generation with the longest and the total, so a pause can be told from a slow request on
/// a live daemon, as dotnet-counters would show it from outside. The pauses come from
/// <see cref="GcPauseSampler"/> (the runtime's own counters, and its account of each
/// collection read after it), not from the runtime's GC events: an in-process listener to
/// those cost 5-16 % more daemon CPU per new node (alternated runs, bench/results.md, Daemons),
/// and a Native AOT runtime does not deliver them at all.
/// </summary>
internal sealed class GcPauses
{
    private static readonly Lazy<GcPauses> Shared = new(() => new GcPauses());

    private readonly GcPauseSampler sampler = new();

    private GcPauses() { }

    /// <summary>The process's account, sampling from its first use on.</summary>
    public static GcPauses Process => Shared.Value;

    /// <summary>The collector's mode and budgets, its pauses so far (per generation: how many and the longest; the total) and its heap.</summary>
    public string Report()
    {
        var info = GC.GetGCMemoryInfo();
        var counts = GcPauseSampler.Counts();
        var longest = sampler.LongestMs();
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"gc mode: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "non-concurrent" : "concurrent")}, latency mode {System.Runtime.GCSettings.LatencyMode}\n"
            + $"gc budgets: gen0 {Gen0Budget()}, gen1 {Gen1Budget()}\n"
            + $"gc pauses: gen0 {counts[0]} (longest {longest[0]:F1} ms), gen1 {counts[1]} (longest {longest[1]:F1} ms), gen2 {counts[2]} (longest {longest[2]:F1} ms), total {GcPauseSampler.TotalMs():F0} ms (sampled after each collection)\n"
            + $"gc heap: {info.HeapSizeBytes} bytes, fragmented {info.FragmentedBytes}, committed {info.TotalCommittedBytes}\n");
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
}
