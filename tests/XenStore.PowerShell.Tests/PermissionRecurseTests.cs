using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>Set-XenStorePermission -Recurse (xenstore-chmod -r), wildcards, and items piped from a drive other than xs:.</summary>
public sealed class PermissionRecurseTests
{
    private static string[] Permissions(EngineSession session, string path) => session.Run($$"""
        $ExecutionContext.InvokeProvider.ChildItem.Get('{{path}}', $true) | Get-XenStorePermission | ForEach-Object { "$($_.Path) $_" }
        """).Select(o => o.ToString()!).ToArray();

    [Fact]
    public void RecurseGivesEveryNodeOfTheSubtreeTheSamePermissions()
    {
        using var session = new EngineSession();
        foreach (var p in new[] { "a/b/c", "a/b/d", "a/e" })
            session.Run($"$ExecutionContext.InvokeProvider.Item.New('xs:/chmod/{p}', $null, 'node', 'v') | Out-Null");
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/chmod/outside', $null, 'node', 'v') | Out-Null");
        var written = session.Run("Set-XenStorePermission xs:/chmod/a -Permission n0, r5, b6 -Recurse -PassThru | ForEach-Object Path").Select(o => o.ToString()).Order();
        Assert.Equal(["/chmod/a", "/chmod/a/b", "/chmod/a/b/c", "/chmod/a/b/d", "/chmod/a/e"], written);
        Assert.All(Permissions(session, "xs:/chmod/a"), line => Assert.EndsWith(" n0 r5 b6", line));
        Assert.Equal("n0 r5 b6", session.Single<string>("(Get-XenStorePermission xs:/chmod/a).ToString()"));
        Assert.Equal("n0", session.Single<string>("(Get-XenStorePermission xs:/chmod/outside).ToString()"));
        // Without -Recurse only the node itself changes.
        session.Run("Set-XenStorePermission xs:/chmod/a -Owner 0 -Read 9");
        Assert.Equal("n0 r5 b6", session.Single<string>("(Get-XenStorePermission xs:/chmod/a/e).ToString()"));
    }

    [Fact]
    public void RecurseHonoursWhatIfAndReportsAMissingNode()
    {
        using var session = new EngineSession();
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/chmod2/x/y', $null, 'node', 'v') | Out-Null");
        session.Run("Set-XenStorePermission xs:/chmod2 -Permission n0, r5 -Recurse -WhatIf");
        Assert.All(Permissions(session, "xs:/chmod2"), line => Assert.EndsWith(" n0", line));
        var (_, errors) = session.TryRun("Set-XenStorePermission xs:/chmod2/absent -Permission n0, r5 -Recurse");
        var error = XenStoreErrorRecord.Among(errors);
        Assert.Equal("XenStore.ENOENT", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("/chmod2/absent", error.TargetObject);
    }

    [Fact]
    public void RecurseJoinsAnOpenDriveTransaction()
    {
        using var session = new EngineSession();
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/chmod3/x', $null, 'node', 'v') | Out-Null");
        session.Run("Start-XenStoreTransaction | Out-Null; Set-XenStorePermission xs:/chmod3 -Permission n0, r4 -Recurse; Undo-XenStoreTransaction");
        Assert.Equal("n0", session.Single<string>("(Get-XenStorePermission xs:/chmod3/x).ToString()"));
    }

    [Fact]
    public void ItemsPipedFromAnotherDriveKeepTheirDriveAndWildcardsExpand()
    {
        using var hosted = new HostedDaemonSession("psperm");
        var session = hosted.Session;
        session.Run("$ExecutionContext.InvokeProvider.Item.New('px:/piped/one', $null, 'node', '1') | Out-Null");
        session.Run("$ExecutionContext.InvokeProvider.Item.New('px:/piped/two', $null, 'node', '2') | Out-Null");
        // The nodes exist on px: only; before, piped items landed on xs: (or on the file system).
        var paths = session.Run("$ExecutionContext.InvokeProvider.ChildItem.Get('px:/piped', $false) | Set-XenStorePermission -Permission n0, r3 -PassThru | ForEach-Object Path");
        Assert.Equal(["/piped/one", "/piped/two"], paths.Select(o => o.ToString()));
        Assert.Equal(["/piped/one n0 r3", "/piped/two n0 r3"], Permissions(session, "px:/piped"));
        Assert.Equal(2, session.Run("Get-XenStorePermission px:/piped/t*, px:/piped/o*").Count);
        var (_, errors) = session.TryRun("Get-XenStorePermission px:/piped/nomatch*");
        Assert.Equal("XenStore.ENOENT", XenStoreErrorRecord.Among(errors).FullyQualifiedErrorId.Split(',')[0]);
    }
}
