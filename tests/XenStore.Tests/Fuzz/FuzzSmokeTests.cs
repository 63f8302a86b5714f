using System.Text.RegularExpressions;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Fuzz;

/// <summary>
/// The fuzz smoke run (tests/Fuzz/run.sh smoke): afl-fuzz drives every target through the
/// instrumented library for a fixed budget with a fixed seed. No crash or hang may turn up,
/// and the run must have really fuzzed: many executions, new paths beyond the seeds.
/// </summary>
[Trait("Needs", "afl")]
[Collection(nameof(FuzzSmokeCollection))]
public sealed partial class FuzzSmokeTests
{
    [Fact]
    public void ShortAflRunFindsNoCrashOrHang()
    {
        // No skip when afl++ is missing: CI installs it, so its absence is a broken setup.
        TestEnvironment.RequireTool("afl-fuzz");
        var work = TestEnvironment.NewRunDir("fuzz");
        try
        {
            var script = Path.Combine(TestEnvironment.RepoRoot, "tests", "Fuzz", "run.sh");
            // The limit only stops a wedged run; the script's own budget is 45 s per target.
            var result = TestEnvironment.Run(script, ["smoke"], new Dictionary<string, string> { ["FUZZ_WORK"] = work }, timeoutMs: 900_000);
            var lines = SummaryLine().Matches(result.Stdout);
            Assert.True(lines.Count == XenStore.Fuzz.FuzzTargets.Names.Count, $"one summary line per target expected:\n{result}");
            foreach (Match line in lines)
            {
                long Value(string name) => long.Parse(line.Groups[name].Value, System.Globalization.CultureInfo.InvariantCulture);
                var target = line.Groups["target"].Value;
                Assert.True(Value("crashes") == 0 && Value("hangs") == 0, $"{target}: afl-fuzz found crashes or hangs:\n{result}");
                // A run that executed only a handful of inputs tested nothing (a broken forkserver looks like that).
                Assert.True(Value("execs") >= 1000, $"{target}: too few executions:\n{result}");
                Assert.True(Value("found") > 0, $"{target}: no new path beyond the seeds (is XenStore.dll instrumented?):\n{result}");
            }
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [GeneratedRegex(@"^fuzz (?<target>\w+): execs=(?<execs>\d+) paths=\d+ found=(?<found>\d+) edges=\d+ crashes=(?<crashes>\d+) hangs=(?<hangs>\d+)", RegexOptions.Multiline)]
    private static partial Regex SummaryLine();
}

/// <summary>
/// The fuzz campaigns run alone, after the other tests: with the suite's CPU-heavy tests beside
/// them, afl-fuzz's dry run sometimes saw no coverage from the harness's first execution.
/// </summary>
[CollectionDefinition(nameof(FuzzSmokeCollection), DisableParallelization = true)]
public sealed class FuzzSmokeCollection;
