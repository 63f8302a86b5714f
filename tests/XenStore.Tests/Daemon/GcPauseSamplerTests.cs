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
        var sampledBefore = sampler.CollectionsSampled;
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers(); // the sentinel samples on the finalizer thread
        }

        var after = GcPauseSampler.Counts();
        Assert.True(after[2] - before[2] >= 3, $"gen2 {before[2]} -> {after[2]}");
        Assert.True(GcPauseSampler.TotalMs() > totalBefore);
        // Each forced collection found the sentinel dead, and its finalizer read the pause.
        Assert.True(sampler.CollectionsSampled - sampledBefore >= 3, $"sampled {sampledBefore} -> {sampler.CollectionsSampled}");
        var longest = sampler.LongestMs();
        // Only gen2 is asserted: the collector may make a requested young collection an older one.
        Assert.True(longest[2] > 0, string.Join(", ", longest));
    }
}
