using System.Globalization;
using System.Text.RegularExpressions;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// The daemon host published as a Native AOT executable (./build.sh native) serves as the JIT
/// host does, keeps a persisted store across a restart, restarts itself in place with the
/// collector budgets, and reports the collector's pauses though it has no GC events.
/// </summary>
[Trait("Needs", "native")]
public sealed partial class NativeHostTests
{
    [NativeHostFact]
    public void ItAnswersReadsWritesDirectoriesAndWatches()
    {
        using var daemon = StandaloneDaemon.Start(native: true);
        using var client = new RawSocketClient(daemon.SocketPath);
        Assert.Equal(MessageType.Watch, client.Send(MessageType.Watch, "/native", "tok").Type);
        Assert.True(client.WaitForEvent("/native", "tok", TimeSpan.FromSeconds(5)), "no initial watch event");

        Assert.Equal(MessageType.Write, client.Write("/native/a", "one").Type);
        Assert.Equal(MessageType.Write, client.Write("/native/b", "two").Type);
        Assert.Equal("one", client.Send(MessageType.Read, "/native/a").Text());
        Assert.Equal(["a", "b"], Payloads.Split(client.Send(MessageType.Directory, "/native").Payload).Order(StringComparer.Ordinal));
        Assert.True(client.WaitForEvent("/native/a", "tok", TimeSpan.FromSeconds(5)), "no watch event for a write");
        Assert.Equal(MessageType.Error, client.Send(MessageType.Read, "/native/missing").Type);
    }

    [NativeHostFact]
    public void APersistedStoreSurvivesARestart()
    {
        var runDir = TestEnvironment.NewRunDir("native");
        var store = Path.Combine(runDir, "store");
        try
        {
            using (var first = StandaloneDaemon.Start(["--persist", store], runDir: runDir, native: true))
            using (var client = new RawSocketClient(first.SocketPath))
                Assert.Equal(MessageType.Write, client.Write("/kept/value", "across restarts").Type);

            using var second = StandaloneDaemon.Start(["--persist", store], runDir: runDir, native: true);
            using var again = new RawSocketClient(second.SocketPath);
            Assert.Equal("across restarts", again.Send(MessageType.Read, "/kept/value").Text());
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [NativeHostFact]
    public void ItRestartsInPlaceWithTheCollectorBudgets()
    {
        using var daemon = StandaloneDaemon.Start(native: true);
        // The process whoever started it knows, running the executable itself (no dotnet host)...
        Assert.Equal($"{daemon.Pid}\n", File.ReadAllText(Path.Combine(daemon.RunDir, "xenstored.pid")));
        Assert.Equal(StandaloneDaemon.NativeExecutable, new FileInfo($"/proc/{daemon.Pid}/exe").LinkTarget);
        // ...with the budgets in its environment, which only the restart put there.
        var environment = File.ReadAllText($"/proc/{daemon.Pid}/environ").Split('\0');
        Assert.Contains("DOTNET_GCGen0MaxBudget=100000", environment);
        Assert.Contains("DOTNET_GCGen1MaxBudget=80000", environment);
        using var client = new RawSocketClient(daemon.SocketPath);
        Assert.Contains("gc budgets: gen0 1048576 B, gen1 524288 B\n", MemoryReport(client), StringComparison.Ordinal);
    }

    [NativeHostFact]
    public void ABudgetTheCallerSetIsKeptAndReportedAsIs()
    {
        using var daemon = StandaloneDaemon.Start(environment: new Dictionary<string, string> { ["DOTNET_GCGen1MaxBudget"] = "0" }, native: true);
        using var client = new RawSocketClient(daemon.SocketPath);
        // Native AOT does not list its gen0 budget: unset, it is the runtime's own choice.
        Assert.Contains("gc budgets: gen0 runtime's choice, gen1 runtime's choice\n", MemoryReport(client), StringComparison.Ordinal);
    }

    [NativeHostFact]
    public void MemoryReportCountsTheCollectorsPausesWithoutGcEvents()
    {
        using var daemon = StandaloneDaemon.Start(native: true);
        using var client = new RawSocketClient(daemon.SocketPath);
        // About 3 MB of values: with the host's 1 MiB gen0 budget, collections of every generation.
        var value = new string('x', 1000);
        for (var i = 0; i < 3000; i++) Assert.Equal(MessageType.Write, client.Write($"/fill/k{i}", value).Type);

        // The sentinel reports from the finalizer thread, just after a collection.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        Match pauses;
        do pauses = PausesLine().Match(MemoryReport(client));
        while (Longest(pauses).All(ms => ms == 0) && DateTime.UtcNow < deadline && Sleep());

        Assert.True(pauses.Success, MemoryReport(client));
        var counts = CountGroups.Select(g => long.Parse(pauses.Groups[g].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(counts.Sum() > 0, pauses.Value);
        Assert.True(Longest(pauses).Any(ms => ms > 0), pauses.Value);
        Assert.EndsWith("(sampled after each collection)", pauses.Value, StringComparison.Ordinal);
    }

    private static readonly string[] CountGroups = ["c0", "c1", "c2"];
    private static readonly string[] LongestGroups = ["l0", "l1", "l2"];

    private static string MemoryReport(RawSocketClient client) => client.Send(MessageType.Control, "memreport").Text();

    private static double[] Longest(Match pauses) =>
        pauses.Success
            ? [.. LongestGroups.Select(g => double.Parse(pauses.Groups[g].Value, CultureInfo.InvariantCulture))]
            : [0];

    private static bool Sleep()
    {
        Thread.Sleep(100);
        return true;
    }

    [GeneratedRegex(@"gc pauses: gen0 (?<c0>\d+) \(longest (?<l0>[\d.]+) ms\), gen1 (?<c1>\d+) \(longest (?<l1>[\d.]+) ms\), gen2 (?<c2>\d+) \(longest (?<l2>[\d.]+) ms\), total \d+ ms \([^)]*\)")]
    private static partial Regex PausesLine();
}
