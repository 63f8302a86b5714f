using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>The module's views as the console renders them (Out-Default through a host).</summary>
public sealed class FormatViewTests
{
    [Fact]
    public void ItemsShowAsATablePerParentAndFlatAsXenstoreLs()
    {
        var host = new CapturingHost();
        using var session = new EngineSession(host: host);
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/fmt/a/b', $null, 'node', 'value-b') | Out-Null");
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/fmt/c', $null, 'node', 'value-c') | Out-Null");
        session.Run("$ExecutionContext.InvokeProvider.ChildItem.Get('xs:/fmt', $true) | Out-Default");
        // Without the console's colour sequences.
        var table = System.Text.RegularExpressions.Regex.Replace(host.Output, "\u001b\\[[0-9;]*m", "");
        Assert.True(table.Contains("Path: /fmt\n", StringComparison.Ordinal), table);
        Assert.Contains("Path: /fmt/a\n", table);
        Assert.Matches(@"Name\s+Children\s+Permissions\s+Value", table);
        Assert.Matches(@"c\s+0\s+n0\s+value-c", table);
        // Format-List is not in the engine package: the flat view's text is the item's ToFlatString(),
        // and the view itself is declared for the type in the module's format file.
        var flat = session.Run("$ExecutionContext.InvokeProvider.ChildItem.Get('xs:/fmt', $true) | ForEach-Object { $_.ToFlatString() }").Select(o => o.ToString()).ToList();
        Assert.Contains("/fmt/a/b = \"value-b\"", flat);
        Assert.Contains("/fmt/c = \"value-c\"", flat);
        var format = System.Xml.Linq.XDocument.Load(Path.Combine(XenStore.Tests.Infrastructure.TestEnvironment.RepoRoot, "src", "Module", "XenStore.format.ps1xml"));
        Assert.Contains(format.Descendants("View"), v => (string?)v.Element("Name") == "Flat" && v.Descendants("TypeName").Any(t => t.Value == "XenStore.PowerShell.XenStoreItem"));
    }
}
