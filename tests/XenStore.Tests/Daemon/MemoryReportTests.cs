using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>CONTROL memreport tells a garbage collector's pauses from slow requests on a live daemon.</summary>
public sealed class MemoryReportTests
{
    [Fact]
    public async Task MemoryReportCountsTheCollectorsPauses()
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions());
        var dom0 = new InProcessClient(daemon);
        var before = Gen2Pauses(dom0);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        // The runtime's events reach the listener late and in batches.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Gen2Pauses(dom0) <= before && DateTime.UtcNow < deadline) await Task.Delay(50);
        var report = dom0.Send(MessageType.Control, "memreport").Text();
        Assert.True(Gen2Pauses(dom0) > before, report);
        Assert.Contains("nodes: ", report, StringComparison.Ordinal);
        Assert.Contains("gc heap: ", report, StringComparison.Ordinal);
    }

    private static long Gen2Pauses(InProcessClient dom0)
    {
        var report = dom0.Send(MessageType.Control, "memreport").Text();
        var at = report.IndexOf("gen2 ", StringComparison.Ordinal);
        Assert.True(at >= 0, report);
        var digits = report[(at + 5)..].TakeWhile(char.IsDigit).ToArray();
        return long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
    }
}
