using XenStore.Fuzz;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Fuzz;

/// <summary>
/// Every seed of tests/Fuzz/corpus and every input afl-fuzz ever crashed on (tests/Fuzz/crashes)
/// through the same target code the fuzzer runs, here uninstrumented and in-process: a fixed
/// crash stays fixed, and the seeds keep passing the targets' invariants.
/// </summary>
public sealed class FuzzReplayTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var folder in new[] { "corpus", "crashes" })
            foreach (var target in FuzzTargets.Names)
            {
                var dir = Path.Combine(TestEnvironment.RepoRoot, "tests", "Fuzz", folder, target);
                if (!Directory.Exists(dir)) continue;
                foreach (var file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                    if (!Path.GetFileName(file).StartsWith('.')) data.Add(target, $"{folder}/{target}/{Path.GetFileName(file)}");
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task InputPassesTheTarget(string target, string file)
    {
        var run = FuzzTargets.Find(target) ?? throw new InvalidOperationException($"no fuzz target '{target}'");
        var input = File.ReadAllBytes(Path.Combine(TestEnvironment.RepoRoot, "tests", "Fuzz", file));
        // A run takes well under a second; one that has not ended after a minute is a hang,
        // which must fail this test rather than stop the suite (Wait rethrows a crash).
        var replay = Task.Run(() => run(input));
        var finished = await Task.WhenAny(replay, Task.Delay(TimeSpan.FromMinutes(1)));
        Assert.True(finished == replay, $"{file}: the {target} target did not finish (a hang)");
        await replay;
    }

    [Fact]
    public void EachTargetHasSeeds()
    {
        foreach (var target in FuzzTargets.Names)
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(TestEnvironment.RepoRoot, "tests", "Fuzz", "corpus", target)));
    }
}
