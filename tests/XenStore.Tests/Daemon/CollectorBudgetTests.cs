using XenStore.Client;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// The standalone host runs with the small collector budgets it was measured with, set by
/// starting itself again with them in its environment, and leaves a budget its caller chose alone.
/// </summary>
public sealed class CollectorBudgetTests
{
    [Fact]
    public async Task TheHostRunsWithSmallYoungGenerationBudgetsUnderItsOwnProcessId()
    {
        using var daemon = StandaloneDaemon.Start();
        var report = await MemoryReport(daemon);
        Assert.Contains("gc budgets: gen0 1048576 B, gen1 524288 B", report, StringComparison.Ordinal);
        // Restarted in place: whoever started it still has its process id, as the pid file says.
        Assert.Equal($"{daemon.Pid}\n", File.ReadAllText(Path.Combine(daemon.RunDir, "xenstored.pid")));
    }

    [Fact]
    public async Task ABudgetTheCallerSetIsKept()
    {
        using var daemon = StandaloneDaemon.Start(environment: new Dictionary<string, string> { ["DOTNET_GCGen1MaxBudget"] = "0" });
        var report = await MemoryReport(daemon);
        Assert.Contains("gen1 runtime's choice", report, StringComparison.Ordinal);
        Assert.DoesNotContain("gen0 1048576 B", report, StringComparison.Ordinal);
    }

    private static async Task<string> MemoryReport(StandaloneDaemon daemon)
    {
        await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
        return await client.ControlAsync("memreport");
    }
}
