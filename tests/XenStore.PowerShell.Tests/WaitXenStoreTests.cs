using System.Diagnostics;
using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>Wait-XenStore: woken by a watch when another connection writes, timed out as Wait-Process is, stopped by Ctrl+C.</summary>
public sealed class WaitXenStoreTests
{
    [Fact]
    public async Task WaitsUntilAnotherConnectionWritesTheValue()
    {
        using var hosted = new HostedDaemonSession("pswait");
        using var writer = hosted.SecondSession();
        writer.Run("$ExecutionContext.InvokeProvider.Item.New('px:/local/domain/0/backend/vbd/7/51712/state', $null, 'node', '1') | Out-Null");
        var writes = Task.Run(async () =>
        {
            await Task.Delay(400);
            writer.Run("$ExecutionContext.InvokeProvider.Item.Set('px:/local/domain/0/backend/vbd/7/51712/state', '2') | Out-Null");
            await Task.Delay(400);
            writer.Run("$ExecutionContext.InvokeProvider.Item.Set('px:/local/domain/0/backend/vbd/7/51712/state', '4') | Out-Null");
        });
        var clock = Stopwatch.StartNew();
        var item = Assert.Single(hosted.Session.Run("Wait-XenStore -Path px:/local/domain/0/backend/vbd/7/51712/state -Value 4 -TimeoutSec 20 -PassThru"));
        Assert.Equal("4", item.Properties["Value"].Value);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(700), $"returned after {clock.Elapsed} before the value was written");
        await writes;
    }

    [Fact]
    public async Task WaitsForANodeToAppearAndForAConditionOnItsItemAndValue()
    {
        using var hosted = new HostedDaemonSession("pswait2");
        using var writer = hosted.SecondSession();
        var writes = Task.Run(async () =>
        {
            await Task.Delay(300);
            writer.Run("$ExecutionContext.InvokeProvider.Item.New('px:/w/appears', $null, 'node', '3') | Out-Null");
            await Task.Delay(300);
            writer.Run("$ExecutionContext.InvokeProvider.Item.Set('px:/w/appears', '12') | Out-Null");
        });
        Assert.Empty(hosted.Session.Run("Wait-XenStore px:/w/appears -TimeoutSec 20"));
        var met = hosted.Session.Run("Wait-XenStore px:/w/appears -Condition { $_ -ne $null -and $_.FullName -eq '/w/appears' -and [int]$args[0] -gt 10 } -TimeoutSec 20 -PassThru");
        Assert.Equal("12", Assert.Single(met).Properties["Value"].Value);
        await writes;
    }

    [Fact]
    public void ATimeoutIsANonTerminatingWaitTimeoutErrorAndTheScriptGoesOn()
    {
        using var session = new EngineSession();
        session.Run("$ExecutionContext.InvokeProvider.Item.New('xs:/w/there', $null, 'node', 'x') | Out-Null");
        var clock = Stopwatch.StartNew();
        var (output, errors) = session.TryRun("Wait-XenStore xs:/w/missing, xs:/w/there -TimeoutSec 1 -PassThru | ForEach-Object FullName; 'after'");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(15));
        Assert.Equal(["/w/there", "after"], output.Select(o => o.ToString()));
        var error = Assert.Single(errors);
        Assert.Equal("XenStore.WaitTimeout", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.Equal("/w/missing", error.TargetObject);
        // -TimeoutSec 0 looks once: a node that is there meets it at once.
        Assert.Single(session.Run("Wait-XenStore xs:/w/there -TimeoutSec 0 -PassThru"));
    }

    [Fact]
    public void StoppingThePipelineEndsTheWaitAtOnce()
    {
        using var session = new EngineSession();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript("Wait-XenStore xs:/w/never");
        var running = ps.BeginInvoke();
        Thread.Sleep(700);
        Assert.False(running.IsCompleted);
        CtrlC.StopsPromptly(ps, running);
        // The watch went with it: the drive works on.
        Assert.Equal("0", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('xs:/local/domain/0/domid')[0].Value"));
    }

    [Fact]
    public void ReportsProgressWhileItWaits()
    {
        using var session = new EngineSession();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript("Wait-XenStore xs:/w/slow -TimeoutSec 2 -ErrorAction SilentlyContinue");
        ps.Invoke();
        Assert.Contains(ps.Streams.Progress, p => p.Activity == "Wait-XenStore" && p.StatusDescription.Contains("/w/slow", StringComparison.Ordinal) && p.SecondsRemaining >= 0);
    }

    [Fact]
    public void PipedItemsAreWaitedForOnTheirOwnDrive()
    {
        using var hosted = new HostedDaemonSession("pswait3");
        hosted.Session.Run("$ExecutionContext.InvokeProvider.Item.New('px:/only-here/a', $null, 'node', '1') | Out-Null");
        hosted.Session.Run("$ExecutionContext.InvokeProvider.Item.New('px:/only-here/b', $null, 'node', '2') | Out-Null");
        var paths = hosted.Session.Run("$ExecutionContext.InvokeProvider.ChildItem.Get('px:/only-here', $false) | Wait-XenStore -TimeoutSec 5 -PassThru | ForEach-Object { $_.FullName }");
        Assert.Equal(["/only-here/a", "/only-here/b"], paths.Select(o => o.ToString()));
        // Wildcards expand through the provider on the drive they name.
        Assert.Equal(2, hosted.Session.Run("Wait-XenStore px:/only-here/* -TimeoutSec 5 -PassThru").Count);
        var (_, errors) = hosted.Session.TryRun("Wait-XenStore '@releaseDomain' -TimeoutSec 1");
        Assert.Equal("XenStore.EINVAL", XenStoreErrorRecord.Among(errors).FullyQualifiedErrorId.Split(',')[0]);
    }
}
