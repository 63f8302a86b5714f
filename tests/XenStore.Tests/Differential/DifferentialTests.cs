using XenStore.Daemon;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Differential;

/// <summary>Our daemon and cxenstored 4.17, side by side, each with the bare starting tree.</summary>
public sealed class DifferentialFixture : IDisposable
{
    /// <summary>Ours as it runs without a hypervisor, where every domid below DOMID_FIRST_RESERVED exists.</summary>
    public OurSocketDaemon Ours { get; } = new(new DaemonOptions { CreateDom0Nodes = false });

    /// <summary>cxenstored on a stand-in hypervisor that reports every domid up to 0x7FEF as existing, introduced or not.</summary>
    public ReferenceDaemon Reference { get; } = ReferenceDaemon.Start("cxenstored", domains: "all");

    public void Dispose()
    {
        Ours.Dispose();
        Reference.Dispose();
    }
}

/// <summary>
/// The same request sequences sent to our daemon and to the real cxenstored: replies and
/// watch events must be equal, step for step, except where a case declares the Recommendation
/// of the protocol digest that makes ours answer differently.
/// </summary>
[Trait("Needs", "peers")]
public sealed class DifferentialTests(DifferentialFixture fixture) : IClassFixture<DifferentialFixture>
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in AllCases()) data.Add(c.Name);
        return data;
    }

    public static IEnumerable<DiffCase> AllCases() =>
        Cases.Paths().Concat(Cases.Nodes()).Concat(Cases.Permissions()).Concat(Cases.Transactions())
            .Concat(Cases.Watches()).Concat(Cases.Domains()).Concat(Cases.Control()).Concat(Cases.Malformed());

    [Fact]
    public void ThereAreAtLeastEightyDistinctCasesCoveringEveryMessageType()
    {
        var cases = AllCases().ToList();
        Assert.True(cases.Count >= 80, $"{cases.Count} cases");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        var types = cases.SelectMany(c => c.Steps).Select(s => (uint)s.Type).ToHashSet();
        for (uint t = 0; t <= 26; t++) Assert.Contains(t, types);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void OursAnswersAsCxenstoredDoes(string name)
    {
        var diffCase = AllCases().Single(c => c.Name == name);
        var prefix = "/diff/" + Guid.NewGuid().ToString("N")[..12];
        Assert.Equal(Cases.PrefixLength, prefix.Length);
        var relative = "r" + Guid.NewGuid().ToString("N")[..8];
        var reference = DiffRunner.Run(fixture.Reference.SocketPath, diffCase, prefix, relative);
        var ours = DiffRunner.Run(fixture.Ours.SocketPath, diffCase, prefix, relative);
        var expected = reference.Select(line => Expected(diffCase, line)).ToList();
        Assert.True(expected.SequenceEqual(ours),
            $"case '{name}' differs{(diffCase.Deviation is null ? "" : $" (declared deviation: {diffCase.Deviation})")}\n" +
            $"--- cxenstored (expected for ours):\n{string.Join("\n", expected)}\n--- ours:\n{string.Join("\n", ours)}");
    }

    /// <summary>The reference's line, or ours where the case declares a deliberate difference for that step.</summary>
    private static string Expected(DiffCase diffCase, string line)
    {
        if (!line.StartsWith('#')) return line;
        var space = line.IndexOf(' ');
        var index = int.Parse(line[1..space]);
        if (!diffCase.OurReplies.TryGetValue(index, out var reply)) return line;
        var connection = line[(space + 1)..line.IndexOf(' ', space + 1)];
        return $"#{index} {connection} {reply}";
    }
}
