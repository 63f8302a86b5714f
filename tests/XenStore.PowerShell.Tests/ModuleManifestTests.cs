using System.Management.Automation;
using System.Management.Automation.Language;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

public sealed class ModuleManifestTests
{
    [Fact]
    public void ManifestImportsAndExportsExactlyItsCmdlets()
    {
        using var session = new EngineSession();
        var exported = session.Run("(Get-Module XenStore).ExportedCmdlets.Keys").Select(o => o.ToString()).Order().ToList();
        var manifest = ReadManifest();
        var listed = ((object[])manifest["CmdletsToExport"]!).Cast<string>().Order().ToList();
        Assert.NotEmpty(listed);
        Assert.Equal(listed, exported);
        Assert.Empty((object[])manifest["FunctionsToExport"]!);
        Assert.Empty((object[])manifest["AliasesToExport"]!);
    }

    [Fact]
    public void GetXenStoreDomainPathFormatsAndTakesPipelineInput()
    {
        using var session = new EngineSession();
        var paths = session.Run("19, 0 | Get-XenStoreDomainPath").Select(o => o.ToString()).ToList();
        Assert.Equal(["/local/domain/19", "/local/domain/0"], paths);
        var (_, errors) = session.TryRun("Get-XenStoreDomainPath -DomainId 70000");
        Assert.Contains(errors, e => e.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError", StringComparison.Ordinal));
    }

    private static System.Collections.Hashtable ReadManifest()
    {
        var ast = Parser.ParseFile(EngineSession.ModuleManifest, out _, out var errors);
        Assert.Empty(errors);
        var table = (HashtableAst)ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false)!;
        return (System.Collections.Hashtable)table.SafeGetValue();
    }

    /// <summary>Every script in the repository parses: a syntax error in a Pester suite fails CI here.</summary>
    [Fact]
    public void EveryPowerShellScriptParses()
    {
        var scripts = Directory.EnumerateFiles(TestEnvironment.RepoRoot, "*.ps*1", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".ps1", StringComparison.Ordinal) || f.EndsWith(".psm1", StringComparison.Ordinal) || f.EndsWith(".psd1", StringComparison.Ordinal))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(scripts, f => f.EndsWith(".Tests.ps1", StringComparison.Ordinal));
        foreach (var script in scripts)
        {
            Parser.ParseFile(script, out _, out var errors);
            Assert.True(errors.Length == 0, $"{script}: {string.Join("; ", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"))}");
        }
    }
}
