using System.Globalization;
using System.Text.RegularExpressions;
using XenStore.Client;
using XenStore.Daemon;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// The standalone host keeps the collector from collecting its old generation while the store
/// grows fast and its growth explains the heap's, and leaves it to the collector otherwise: a
/// host that only makes garbage is collected in full.
/// </summary>
public sealed partial class OldGenerationScheduleTests
{
    private const long MB = 1 << 20;

    [Fact]
    public void GrowthTheStoresNewNodesExplainIsNotDue()
    {
        // 100 MB live, 60 MB more: the 300,000 new nodes account for up to 73 MB of it.
        Assert.False(OldGenerationSchedule.IsDue(grown: 60 * MB, live: 100 * MB, newNodes: 300_000));
        // The same growth with no new nodes is garbage, past a quarter of what was live.
        Assert.True(OldGenerationSchedule.IsDue(grown: 60 * MB, live: 100 * MB, newNodes: 0));
    }

    [Fact]
    public void GarbageBelowTheFloorOrAQuarterOfTheLiveHeapIsNeverDue()
    {
        Assert.False(OldGenerationSchedule.IsDue(grown: OldGenerationSchedule.Floor - 1, live: 2 * MB, newNodes: 0));
        Assert.True(OldGenerationSchedule.IsDue(grown: OldGenerationSchedule.Floor, live: 2 * MB, newNodes: 0));
        Assert.False(OldGenerationSchedule.IsDue(grown: 24 * MB, live: 100 * MB, newNodes: 0));
        Assert.True(OldGenerationSchedule.IsDue(grown: 25 * MB, live: 100 * MB, newNodes: 0));
        // Removed nodes do not make growth the store's.
        Assert.True(OldGenerationSchedule.IsDue(grown: 25 * MB, live: 100 * MB, newNodes: -1_000));
    }

    [Fact]
    public void YoungCollectionsTurnedGen1ShowTheCollectorWantsTheOldGeneration()
    {
        // A growing store: about one young collection in ten is a gen1 one.
        Assert.False(OldGenerationSchedule.CollectorWantsTheOldGeneration(collections: 68, gen1: 6));
        // Under low latency with its old generation due, the collector makes them all gen1.
        Assert.True(OldGenerationSchedule.CollectorWantsTheOldGeneration(collections: 325, gen1: 325));
        Assert.True(OldGenerationSchedule.CollectorWantsTheOldGeneration(collections: 10, gen1: 5));
        // Too few to tell.
        Assert.False(OldGenerationSchedule.CollectorWantsTheOldGeneration(collections: 4, gen1: 4));
    }

    [Fact]
    public async Task TheHostRunsInLowLatencyWhileItsStoreGrowsFastAndOnlyThen()
    {
        using var daemon = StandaloneDaemon.Start();
        await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
        Assert.Contains("latency mode Interactive", await client.ControlAsync("memreport"), StringComparison.Ordinal);

        using var growing = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var writer = Grow(daemon.SocketPath, growing.Token);
        string report;
        do report = await client.ControlAsync("memreport");
        while (!report.Contains("latency mode LowLatency", StringComparison.Ordinal) && !writer.IsCompleted && await Pause());
        await growing.CancelAsync();
        var written = await writer;
        Assert.True(report.Contains("latency mode LowLatency", StringComparison.Ordinal), $"{written} nodes written; {report}");

        // Growth over, the collector's own policy again.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        do report = await client.ControlAsync("memreport");
        while (!report.Contains("latency mode Interactive", StringComparison.Ordinal) && DateTime.UtcNow < deadline && await Pause());
        Assert.Contains("latency mode Interactive", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRuntimesPolicyIsKeptWhenAsked()
    {
        using var daemon = StandaloneDaemon.Start(environment: new Dictionary<string, string> { ["XENSTORED_PS_OLD_GENERATION"] = "runtime" });
        await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
        using var growing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var writer = Grow(daemon.SocketPath, growing.Token);
        while (!writer.IsCompleted)
        {
            Assert.Contains("latency mode Interactive", await client.ControlAsync("memreport"), StringComparison.Ordinal);
            await Pause();
        }
        Assert.True(await writer > 2 * OldGenerationSchedule.FastGrowth, "the store did not grow");
    }

    /// <summary>
    /// New nodes until cancelled, on four connections with 64 in flight each (well above the
    /// schedule's 10,000 a second even on a loaded machine); how many were written.
    /// </summary>
    private static async Task<int> Grow(string socketPath, CancellationToken cancellationToken)
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, 4).Select(async connection =>
        {
            await using var client = await XenStoreClient.ConnectSocketAsync(socketPath, CancellationToken.None);
            var written = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.WhenAll(Enumerable.Range(written, 64).Select(i => client.WriteAsync($"/grow/c{connection}/n{i}", "v")));
                written += 64;
            }
            return written;
        }));
        return counts.Sum();
    }

    [Fact]
    public async Task AHostThatOnlyMakesGarbageIsCollectedInFull()
    {
        using var daemon = StandaloneDaemon.Start();
        await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
        var before = FullCollections(await client.ControlAsync("memreport"));
        // 48 MB of overwritten values: garbage in the old generation (values live on the pinned heap).
        for (var i = 0; i < 12_000; i++)
            await client.WriteAsync("/garbage", $"{i}{new string('x', 4000)}");

        var deadline = DateTime.UtcNow.AddSeconds(20);
        string report;
        do report = await client.ControlAsync("memreport");
        while (FullCollections(report) == before && DateTime.UtcNow < deadline && await Pause());
        Assert.True(FullCollections(report) > before, report);
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(100);
        return true;
    }

    private static long FullCollections(string report) =>
        long.Parse(FullCollectionCount().Match(report).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"gen2 (\d+) \(longest")]
    private static partial Regex FullCollectionCount();
}
