using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

public sealed class HelpTests
{
    [Fact]
    public void EveryCmdletHasSynopsisDescriptionAndExamples()
    {
        using var session = new EngineSession();
        var cmdlets = session.Run("(Get-Module XenStore).ExportedCmdlets.Keys").Select(o => o.ToString()).ToList();
        Assert.NotEmpty(cmdlets);
        foreach (var cmdlet in cmdlets)
        {
            var synopsis = session.Single<string>($"(Get-Help {cmdlet}).Synopsis");
            Assert.False(string.IsNullOrWhiteSpace(synopsis) || synopsis.StartsWith(cmdlet, StringComparison.Ordinal), $"{cmdlet} has no synopsis: {synopsis}");
            Assert.NotEmpty(session.Run($"(Get-Help {cmdlet}).examples.example"));
        }
        Assert.Contains("Register-ObjectEvent", session.Single<string>("(Get-Help Watch-XenStore).description.Text"));
    }

    [Fact]
    public void EveryParameterOfEveryCmdletIsDescribed()
    {
        using var session = new EngineSession();
        var undescribed = session.Run("""
            $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
            foreach ($cmdlet in (Get-Module XenStore).ExportedCmdlets.Values) {
                $help = @{}
                foreach ($parameter in (Get-Help $cmdlet.Name).parameters.parameter) { $help[$parameter.name] = $parameter.description | ForEach-Object Text }
                foreach ($name in $cmdlet.Parameters.Keys) {
                    if ($name -notin $common -and -not $help[$name]) { "$($cmdlet.Name) -$name" }
                }
            }
            """).Select(o => o.ToString()).ToList();
        Assert.Empty(undescribed);
    }

    [Fact]
    public void TheAboutTopicsAreFound()
    {
        using var session = new EngineSession();
        Assert.Contains("XenStore", session.Single<string>("[string](Get-Help about_XenStore)"));
        Assert.Contains("Get-ChildItem", session.Single<string>("[string](Get-Help about_XenStore_Provider)"));
    }

    [Fact]
    public void TheProviderAnswersWithItsCmdletHelp()
    {
        using var session = new EngineSession();
        // What the engine asks the provider for Get-Help <cmdlet> -Path xs: (ICmdletProviderSupportsHelp).
        string Maml(string name) => session.Single<string>(
            $"[XenStore.PowerShell.XenStoreProvider]::new().GetHelpMaml('{name}', '/')");
        var maml = Maml("Get-ChildItem");
        Assert.StartsWith("<command:command", maml);
        Assert.Contains("<command:name>Get-ChildItem</command:name>", maml);
        Assert.Contains("Gets the nodes below XenStore nodes.", maml);
        Assert.Contains("<command:name>Get-Content</command:name>", Maml(@"Microsoft.PowerShell.Management\Get-Content"));
        Assert.Equal("", Maml("Get-Process"));
        Assert.Equal("", Maml("NoDash"));
        Assert.Equal("", Maml(""));
    }

    [Fact]
    public void TheCommittedHelpIsBuiltFromTheCurrentCmdlets()
    {
        var result = TestEnvironment.Run(TestEnvironment.RequireTool("python3"), [Path.Combine(TestEnvironment.RepoRoot, "scripts", "make-help.py"), "--check"]);
        Assert.True(result.ExitCode == 0, "en-US/XenStore.PowerShell.dll-Help.xml is stale: run scripts/make-help.py. " + result);
    }
}

public sealed class CompletionTests
{
    [Fact]
    public void DriveNamesAndDomainIdsComplete()
    {
        using var session = new EngineSession();
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/local/domain/17', $null, 'node', '') | Out-Null");
        string[] Complete(string input) => session.Run($"(TabExpansion2 -inputScript '{input}' -cursorColumn {input.Length}).CompletionMatches | ForEach-Object CompletionText")
            .Select(o => o.ToString()).ToArray();
        Assert.Contains("xs", Complete("Disconnect-XenStore -Name "));
        Assert.Contains("17", Complete("Set-XenStorePermission -Path xs:/a -Owner 1"));
        Assert.DoesNotContain("0", Complete("Set-XenStorePermission -Path xs:/a -Owner 1"));
    }

    [Fact]
    public void ItemPropertyNamesComplete()
    {
        // The hosted engine has no Get-ItemProperty (TabExpansion2 for it is tested under pwsh in
        // Help.Tests.ps1): call the completer its registration runs.
        using var session = new EngineSession();
        string[] Complete(string word, string bound) => session.Run(
            $"[XenStore.PowerShell.Cmdlets.ItemPropertyNameCompleter]::Complete('{word}', @{{ {bound} }}, $ExecutionContext.SessionState) | ForEach-Object CompletionText")
            .Select(o => o.ToString()).ToArray();
        Assert.Equal(["Value", "Permissions", "Owner"], Complete("", "Path = 'xs:/local/domain/0/name'"));
        Assert.Equal(["Permissions"], Complete("p", "LiteralPath = 'xs:/local/domain/0/name'"));
        Assert.Equal(["Owner"], Complete("O", "Path = @('xs:/local/domain/0/nam*')"));
        Assert.Empty(Complete("", "Path = 'xs:/no/such/node'"));
        Assert.Empty(Complete("", ""));
    }
}
