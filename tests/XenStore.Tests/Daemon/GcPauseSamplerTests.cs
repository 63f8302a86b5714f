using XenStore.Daemon;

namespace XenStore.Tests.Daemon;

/// <summary>
/// The pause accounting a Native AOT daemon uses (it gets no GC events), run here under the JIT:
/// forced collections show up in its counts and longest pauses. NativeHostTests checks it in the native host.
/// </summary>
public sealed class GcPauseSamplerTests
{
    [Fact]
    public void ForcedCollectionsAreCountedWithTheirPauses()
    {
        var sampler = new GcPauseSampler();
        var before = GcPauseSampler.Counts();
        var totalBefore = GcPauseSampler.TotalMs();
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers(); // the sentinel samples on the finalizer thread
        }
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();

        var after = GcPauseSampler.Counts();
        Assert.True(after[2] - before[2] >= 3, $"gen2 {before[2]} -> {after[2]}");
        Assert.True(after[0] - before[0] >= 1, $"gen0 {before[0]} -> {after[0]}");
        Assert.True(GcPauseSampler.TotalMs() > totalBefore);
        var longest = sampler.LongestMs();
        Assert.True(longest[2] > 0, string.Join(", ", longest));
        Assert.True(longest[0] > 0, string.Join(", ", longest));
    }
}
