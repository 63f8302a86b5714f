using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>New-/Remove-XenStoreDomain as a toolstack uses them, with a guest of the simulated hypervisor on the other end.</summary>
public sealed class DomainCmdletTests
{
    [Fact]
    public void AnIntroducedDomainReadsItsOwnNodesAndRemovingItFiresReleaseDomain()
    {
        using var hosted = new HostedDaemonSession("psdomain", drive: "d0", simXen: true);
        var session = hosted.Session;
        // With the simulated hypervisor the guest makes its ring page, so it connects first.
        session.Run($"Connect-XenStore -Name g19 -Ring -SimXen '{hosted.SimDir}' -DomainId 19 -Root /local/domain/19 | Out-Null");
        var info = Assert.Single(session.Run("New-XenStoreDomain -DomainId 19 -Name web01 -Introduce -Drive d0"));
        Assert.Equal(19u, info.Properties["DomainId"].Value);
        Assert.True((bool)info.Properties["Introduced"].Value);
        var vmPath = (string)info.Properties["VmPath"].Value;
        Assert.StartsWith("/vm/", vmPath);

        string Perms(string path) => session.Single<string>($"(Get-XenStorePermission {path}).ToString()");
        Assert.Equal("n0 r19", Perms("d0:/local/domain/19"));
        Assert.Equal("n0 r19", Perms("d0:/local/domain/19/control"));
        Assert.Equal("n19", Perms("d0:/local/domain/19/data"));
        Assert.Equal("n19", Perms("d0:/local/domain/19/control/shutdown"));
        Assert.Equal("n19", Perms("d0:/local/domain/19/device/suspend/event-channel"));
        Assert.Equal("n0 r19", Perms($"d0:{vmPath}"));
        Assert.True(session.Single<bool>("$ExecutionContext.SessionState.Drive.Get('d0').Client.IsDomainIntroducedAsync(19).GetAwaiter().GetResult()"));

        // The guest, on its own ring, reads its home and writes where it owns the node, and nowhere else.
        Assert.Equal("web01", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('g19:/name')[0].Value"));
        Assert.Equal("19", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('g19:/domid')[0].Value"));
        session.Run("$ExecutionContext.InvokeProvider.Item.New('g19:/data/booted', $null, 'node', '1') | Out-Null");
        var (_, refused) = session.TryRun("$ExecutionContext.InvokeProvider.Item.Set('g19:/name', 'renamed')");
        Assert.Equal("XenStore.EACCES", XenStoreErrorRecord.Among(refused).FullyQualifiedErrorId.Split(',')[0]);

        var events = session.Run("""
            $w = $ExecutionContext.SessionState.Drive.Get('d0').Client.WatchAsync('@releaseDomain').GetAwaiter().GetResult()
            $w.ReadAsync().AsTask().GetAwaiter().GetResult() | Out-Null
            Remove-XenStoreDomain -DomainId 19 -Drive d0
            $next = $w.ReadAsync().AsTask()
            if ($next.Wait(10000)) { $next.Result.Path }
            """);
        Assert.Equal("@releaseDomain", Assert.Single(events).ToString());
        Assert.False(session.Single<bool>("$ExecutionContext.SessionState.Drive.Get('d0').Client.IsDomainIntroducedAsync(19).GetAwaiter().GetResult()"));
        Assert.False(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('d0:/local/domain/19')"));
        Assert.False(session.Single<bool>($"$ExecutionContext.InvokeProvider.Item.Exists('d0:{vmPath}')"));
        var (_, again) = session.TryRun("Remove-XenStoreDomain 19 -Drive d0");
        var error = XenStoreErrorRecord.Among(again);
        Assert.Equal("XenStore.ENOENT", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void NodesNeedTheDomainToExist()
    {
        using var hosted = new HostedDaemonSession("psdomgone", drive: "d0", simXen: true);
        var session = hosted.Session;
        // A domain the (simulated) hypervisor destroyed cannot own nodes, and nothing is left half made.
        session.Run("$ExecutionContext.SessionState.Drive.Get('d0').Client.ControlAsync('sim-destroy', '33').GetAwaiter().GetResult() | Out-Null");
        var (_, gone) = session.TryRun("New-XenStoreDomain 33 -Drive d0");
        var error = XenStoreErrorRecord.Among(gone);
        Assert.Equal("XenStore.ENOENT", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("-Introduce", error.ErrorDetails?.Message ?? "", StringComparison.Ordinal);
        Assert.False(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('d0:/local/domain/33')"));
        // Created again, it may: the toolstack's order, its nodes before its INTRODUCE.
        session.Run("$ExecutionContext.SessionState.Drive.Get('d0').Client.ControlAsync('sim-create', '33').GetAwaiter().GetResult() | Out-Null");
        var info = Assert.Single(session.Run("New-XenStoreDomain 33 -Drive d0"));
        Assert.False((bool)info.Properties["Introduced"].Value);
        Assert.Equal("n33", session.Single<string>("(Get-XenStorePermission d0:/local/domain/33/data).ToString()"));
    }

    [Fact]
    public void WithoutAHypervisorADomainNotIntroducedOwnsItsNodesAndAnExistingHomeNeedsForce()
    {
        using var session = new EngineSession();
        // The embedded daemon has no hypervisor: every domain exists, so a toolstack may write
        // a domain's nodes before it introduces the domain.
        var info = Assert.Single(session.Run("New-XenStoreDomain 31 -Name first"));
        Assert.False((bool)info.Properties["Introduced"].Value);
        Assert.Equal("n31", session.Single<string>("(Get-XenStorePermission xs:/local/domain/31/data).ToString()"));
        Assert.Equal("n0 r31", session.Single<string>("(Get-XenStorePermission xs:/local/domain/31).ToString()"));
        Assert.False(session.Single<bool>("$ExecutionContext.SessionState.Drive.Get('xs').Client.IsDomainIntroducedAsync(31).GetAwaiter().GetResult()"));

        var (_, exists) = session.TryRun("New-XenStoreDomain 31 -Name second");
        var eexist = XenStoreErrorRecord.Among(exists);
        Assert.Equal("XenStore.EEXIST", eexist.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ResourceExists, eexist.CategoryInfo.Category);
        Assert.Equal("first", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('xs:/local/domain/31/name')[0].Value"));
        session.Run("New-XenStoreDomain 31 -Name second -Force | Out-Null");
        Assert.Equal("second", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('xs:/local/domain/31/name')[0].Value"));
        Assert.Single(session.Run("$ExecutionContext.InvokeProvider.ChildItem.GetNames('xs:/vm', 'ReturnMatchingContainers', $false)"));

        session.Run("New-XenStoreDomain 32 -Introduce -WhatIf");
        Assert.False(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('xs:/local/domain/32')"));
        session.Run("New-XenStoreDomain 31 -Introduce -Force | Remove-XenStoreDomain -WhatIf");
        Assert.True(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('xs:/local/domain/31')"));
        session.Run("New-XenStoreDomain 31 -Introduce -Force | Remove-XenStoreDomain");
        Assert.False(session.Single<bool>("$ExecutionContext.InvokeProvider.Item.Exists('xs:/local/domain/31')"));
        Assert.Empty(session.Run("$ExecutionContext.InvokeProvider.ChildItem.GetNames('xs:/vm', 'ReturnMatchingContainers', $false)"));

        var (_, invalid) = session.TryRun("New-XenStoreDomain 0");
        Assert.Contains(invalid, e => e.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError", StringComparison.Ordinal));
    }
}
