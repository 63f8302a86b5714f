using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>Export-XenStore and Import-XenStore: a subtree with values and permissions survives a round trip, all at once or not at all.</summary>
public sealed class ExportImportTests : IDisposable
{
    private readonly EngineSession session = new();
    private readonly string dir = TestEnvironment.NewRunDir("psexport");

    public ExportImportTests()
    {
        session.Run("""
            $p = $ExecutionContext.InvokeProvider.Item
            $p.New('xs:/vm/rt/name', $null, 'node', 'web01') | Out-Null
            $p.New('xs:/vm/rt/device/vif/0/mac', $null, 'node', '00:16:3e:00:00:01') | Out-Null
            $p.New('xs:/vm/rt/odd', $null, 'node', "tab`there, quote `" and backslash \") | Out-Null
            Set-XenStorePermission xs:/vm/rt/name -Permission n0, r5
            Set-XenStorePermission xs:/vm/rt/device -Permission n0, r7 -Recurse
            """);
    }

    public void Dispose()
    {
        session.Dispose();
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Every node of the subtree as "path = value (perms)", from the provider, not from the export under test.</summary>
    private string[] Snapshot(string path) => session.Run($"""
        $ExecutionContext.InvokeProvider.ChildItem.Get('{path}', $true) | ForEach-Object {"{"} "$($_.FullName) = [$($_.Value)] ($($_.Permissions -replace ' ', ','))" {"}"}
        """).Select(o => o.ToString()).ToArray();

    [Theory]
    [InlineData("Json")]
    [InlineData("XenstoreLs")]
    public void ASubtreeSurvivesExportRemoveImport(string format)
    {
        var before = Snapshot("xs:/vm/rt");
        Assert.Contains("/vm/rt/name = [web01] (n0,r5)", before);
        Assert.Contains("/vm/rt/device/vif/0/mac = [00:16:3e:00:00:01] (n0,r7)", before);
        var file = Path.Combine(dir, "rt." + format);
        session.Run($"Export-XenStore -Path xs:/vm/rt -Format {format} -OutFile '{file}'");
        Assert.True(File.Exists(file));
        session.Run("$ExecutionContext.InvokeProvider.Item.Remove('xs:/vm/rt', $true)");
        Assert.False(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('xs:/vm/rt')"));
        session.Run($"Import-XenStore -InputFile '{file}' -Format {format}");
        Assert.Equal(before, Snapshot("xs:/vm/rt"));
        Assert.Equal("n0", session.Single<string>("(Get-XenStorePermission xs:/vm/rt).ToString()"));
    }

    [Fact]
    public void ExportToThePipelineIsTextThatImportTakesToADestination()
    {
        var text = session.Single<string>("Export-XenStore xs:/vm/rt -Format XenstoreLs");
        Assert.StartsWith("/vm/rt = \"\"   (n0)\n", text);
        Assert.Contains("/vm/rt/odd = \"tab\\there, quote \" and backslash \\\\\"   (n0)\n", text);
        Assert.Contains("\"path\": \"/vm/rt/device\"", session.Single<string>("Export-XenStore -LiteralPath xs:/vm/rt"));
        session.Run("Export-XenStore xs:/vm/rt | Import-XenStore -Destination xs:/vm/copy");
        var copied = Snapshot("xs:/vm/copy").Select(l => l.Replace("/vm/copy", "/vm/rt", StringComparison.Ordinal));
        Assert.Equal(Snapshot("xs:/vm/rt"), copied);
        // Lines (as Get-Content gives them) are joined into one document.
        session.Run("'/vm/lines = \"\"   (n0)', '/vm/lines/a = \"1\"   (n0,r3)' | Import-XenStore");
        Assert.Equal(["/vm/lines/a = [1] (n0,r3)"], Snapshot("xs:/vm/lines"));
    }

    [Fact]
    public void ALargeImportReportsProgressAndStopsWhenTheUserStopsIt()
    {
        // Over a socket, so that writing takes long enough to be seen.
        using var hosted = new HostedDaemonSession("psimport");
        var lines = string.Join("\n", Enumerable.Range(0, 20000).Select(i => $"/big/n{i} = \"{i}\"   (n0,r{i % 50 + 1})").Prepend("/big = \"\"   (n0)"));
        var file = Path.Combine(dir, "big.txt");
        File.WriteAllText(file, lines);
        using (var ps = System.Management.Automation.PowerShell.Create())
        {
            ps.Runspace = hosted.Session.Runspace;
            ps.AddScript($"Import-XenStore -InputFile '{file}' -Drive px");
            ps.Invoke();
            Assert.Empty(ps.Streams.Error);
            Assert.Contains(ps.Streams.Progress, p => p.Activity == "Import-XenStore" && p.PercentComplete is > 0 and <= 100);
        }
        Assert.Equal("19999", hosted.Session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('px:/big/n19999')[0].Value"));
        hosted.Session.Run("$ExecutionContext.InvokeProvider.Item.Remove('px:/big', $true)");

        using (var ps = System.Management.Automation.PowerShell.Create())
        {
            ps.Runspace = hosted.Session.Runspace;
            ps.AddScript($"Import-XenStore -InputFile '{file}' -Drive px");
            var running = ps.BeginInvoke();
            Thread.Sleep(400);
            Assert.False(running.IsCompleted, "the import ended before it could be stopped");
            ps.Stop();
            Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5)), "the import did not stop");
        }
        // Stopped part way, the transaction was abandoned: nothing of it is there.
        Assert.False(hosted.Session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('px:/big')"));
    }

    [Fact]
    public void AFileNamedFromAXenStoreLocationIsOnTheFileSystem()
    {
        session.Run($"$ExecutionContext.SessionState.Path.SetLocation('{dir}') | Out-Null; $ExecutionContext.SessionState.Path.SetLocation('xs:/vm') | Out-Null");
        session.Run("Export-XenStore rt -OutFile relative.json");
        Assert.True(File.Exists(Path.Combine(dir, "relative.json")));
        var (_, errors) = session.TryRun("Export-XenStore rt -OutFile xs:/vm/backup.json");
        Assert.Equal("XenStore.NotFileSystemPath", XenStoreErrorRecord.Among(errors).FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void WhatIfWritesNothing()
    {
        session.Run("Export-XenStore xs:/vm/rt | Import-XenStore -Destination xs:/vm/ghost -WhatIf");
        Assert.False(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('xs:/vm/ghost')"));
        var file = Path.Combine(dir, "whatif.json");
        session.Run($"Export-XenStore xs:/vm/rt -OutFile '{file}' -WhatIf");
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void AnImportThatFailsPartWayWritesNothing()
    {
        // The second node's path is one no xenstored accepts: the transaction is abandoned whole.
        var (_, errors) = session.TryRun("'/vm/half = \"\"   (n0)', '/vm/half/ok = \"1\"   (n0)', '/vm/half/bad name = \"2\"   (n0)' | Import-XenStore");
        var error = XenStoreErrorRecord.Among(errors);
        Assert.Equal("XenStore.EINVAL", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.False(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('xs:/vm/half')"));
    }

    [Fact]
    public void InputThatIsNotAnExportIsRefusedAsInvalidData()
    {
        foreach (var (script, format) in new[] { ("'no nodes here' | Import-XenStore", ""), ("'{ broken' | Import-XenStore", ""), ("'/a = \"1\"' | Import-XenStore -Format Json", "Json") })
        {
            var (_, errors) = session.TryRun(script);
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.EINVAL", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
            if (format.Length > 0) Assert.Contains("not Json", error.Exception.Message, StringComparison.Ordinal);
        }
        var (_, missing) = session.TryRun($"Import-XenStore -InputFile '{Path.Combine(dir, "absent.json")}'");
        Assert.Equal(ErrorCategory.ObjectNotFound, XenStoreErrorRecord.Among(missing).CategoryInfo.Category);
    }

    [Fact]
    public void WildcardsExportEachMatchAndAMissingPathIsENOENT()
    {
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/vm/rt2/name', $null, 'node', 'web02') | Out-Null");
        var texts = session.Run("Export-XenStore xs:/vm/rt* -Format XenstoreLs").Select(o => o.ToString()!).ToList();
        Assert.Equal(2, texts.Count);
        Assert.StartsWith("/vm/rt2 = ", texts[1]);
        var (_, refused) = session.TryRun($"Export-XenStore xs:/vm/rt* -OutFile '{Path.Combine(dir, "two.json")}'");
        Assert.Equal(ErrorCategory.InvalidArgument, XenStoreErrorRecord.Among(refused).CategoryInfo.Category);
        var (_, errors) = session.TryRun("Export-XenStore xs:/vm/absent");
        var error = XenStoreErrorRecord.Among(errors);
        Assert.Equal("XenStore.ENOENT", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }
}
