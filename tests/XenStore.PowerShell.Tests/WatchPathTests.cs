using System.Diagnostics;
using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>
/// Watch-XenStore's paths as the other path cmdlets take them: wildcards, several paths in one
/// -Wait stream, piped items on their own drive, a pattern that matches nothing.
/// </summary>
public sealed class WatchPathTests
{
    [Fact]
    public void AWildcardOverTwoNodesGivesAWatcherForEach()
    {
        using var session = new EngineSession();
        session.Run("Connect-XenStore -Name wpa -Embedded | Out-Null");
        session.Run("foreach ($n in 'a', 'b', 'c') { New-Item wpa:/w/$n -Value $n -Force | Out-Null }");
        var watchers = session.Run("Watch-XenStore wpa:/w/[ab]");
        Assert.Equal(["/w/a", "/w/b"], watchers.Select(w => (string)w.Properties["Path"].Value));
        Assert.All(watchers, w => Assert.Equal("XenStore.PowerShell.XenStoreWatcher", w.BaseObject.GetType().FullName));
        Assert.Equal(2, watchers.Select(w => (string)w.Properties["Token"].Value).Distinct().Count());
        // Case-sensitive, as the provider's wildcards are; and each watcher arms for Register-ObjectEvent.
        Assert.Single(session.Run("Watch-XenStore wpa:/w/[aB]"));
        Assert.Equal([true, true], session.Run("Watch-XenStore wpa:/w/[ab] -Start | ForEach-Object { $_.EnableRaisingEvents; $_.Dispose() }").Select(o => (bool)o.BaseObject));
        session.Run("Disconnect-XenStore -Name wpa");
    }

    [Fact]
    public async Task WaitOverAWildcardStreamsTheEventsOfEveryMatch()
    {
        using var hosted = new HostedDaemonSession("pswpw");
        hosted.Session.Run("New-Item px:/ww/a -Value '' -Force | Out-Null; New-Item px:/ww/b -Value '' -Force | Out-Null");
        using var writer = hosted.SecondSession();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = hosted.Session.Runspace;
        ps.AddScript("Watch-XenStore px:/ww/* -Wait -Count 4 -Timeout 20");
        var output = new PSDataCollection<PSObject>();
        var running = ps.BeginInvoke(new PSDataCollection<PSObject>(), output);
        // Both first events: both watches are registered.
        WaitUntil(() => output.Count >= 2);
        writer.Run("$ExecutionContext.InvokeProvider.Item.Set('px:/ww/a', 'changed') | Out-Null");
        await Task.Delay(200);
        writer.Run("$ExecutionContext.InvokeProvider.Item.Set('px:/ww/b', 'changed') | Out-Null");
        Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20)), "-Wait did not end on its -Count");
        ps.EndInvoke(running);
        Assert.Empty(ps.Streams.Error);
        Assert.All(output, o => Assert.Equal("XenStore.PowerShell.XenStoreWatchEventArgs", o.BaseObject.GetType().FullName));
        var events = output.Select(o => (Path: (string)o.Properties["Path"].Value, Token: (string)o.Properties["Token"].Value)).ToList();
        Assert.Equal(4, events.Count);
        Assert.Equal(["/ww/a", "/ww/b"], events.Take(2).Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(["/ww/a", "/ww/b"], events.Skip(2).Select(e => e.Path));
        // Two watches, each with its own token on its events.
        Assert.Equal(2, events.Select(e => e.Token).Distinct().Count());
        Assert.Equal(events[2].Token, events.Take(2).Single(e => e.Path == "/ww/a").Token);
        // Everything was unwatched on the way out.
        Assert.Equal(0, hosted.Session.Single<int>("(Get-PSDrive px).Client.Watches.Count"));
    }

    [Fact]
    public void CtrlCEndsAWaitOverSeveralPathsAtOnceAndUnwatchesThemAll()
    {
        using var session = new EngineSession();
        session.Run("Connect-XenStore -Name wpc -Embedded | Out-Null; foreach ($n in 'a', 'b', 'c') { New-Item wpc:/c/$n -Value $n -Force | Out-Null }");
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript("Watch-XenStore wpc:/c/* -Wait");
        var output = new PSDataCollection<PSObject>();
        var running = ps.BeginInvoke(new PSDataCollection<PSObject>(), output);
        WaitUntil(() => output.Count >= 3);
        CtrlC.StopsPromptly(ps, running);
        Assert.Equal(0, session.Single<int>("(Get-PSDrive wpc).Client.Watches.Count"));
        session.Run("Disconnect-XenStore -Name wpc");
    }

    [Fact]
    public void PipedItemsAreWatchedOnTheirOwnDrive()
    {
        using var session = new EngineSession();
        session.Run("Connect-XenStore -Name wph -Embedded | Out-Null; Connect-XenStore -Name x -Embedded | Out-Null");
        session.Run("New-Item x:/pd/a -Value 1 -Force | Out-Null; New-Item x:/pd/b -Value 1 -Force | Out-Null");
        // The session stands on another XenStore drive: the items must not land there.
        session.Run("Set-Location wph:/");
        var watchers = session.Run("Get-ChildItem x:/pd | Watch-XenStore");
        Assert.Equal(["x:/pd/a", "x:/pd/b"], watchers.Select(w => $"{w.Properties["Drive"].Value}:{w.Properties["Path"].Value}"));
        // -Wait: the watches are on x:'s connection, none on wph:'s.
        var events = session.Run("Get-ChildItem x:/pd | Watch-XenStore -Wait -Count 2 -Timeout 10 | ForEach-Object { $_.Path + ' ' + (Get-PSDrive x).Client.Watches.Count + ' ' + (Get-PSDrive wph).Client.Watches.Count }");
        Assert.Equal(["/pd/a 2 0", "/pd/b 2 0"], events.Select(e => e.ToString()).Order(StringComparer.Ordinal));
        session.Run("Set-Location /; Disconnect-XenStore -Name x; Disconnect-XenStore -Name wph");
    }

    [Fact]
    public void AWildcardThatMatchesNothingIsENOENT()
    {
        using var session = new EngineSession();
        session.Run("Connect-XenStore -Name wpn -Embedded | Out-Null; New-Item wpn:/n/a -Value 1 -Force | Out-Null");
        foreach (var wait in new[] { "", " -Wait -Timeout 5" })
        {
            var clock = Stopwatch.StartNew();
            var (output, errors) = session.TryRun($"Watch-XenStore wpn:/n/z*{wait}");
            Assert.Empty(output);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}: it waited on nothing");
            var error = Assert.Single(errors);
            Assert.Equal("XenStore.ENOENT", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        }
        // Special watch names are still names, not patterns.
        Assert.Equal("@releaseDomain", session.Single<string>("(Watch-XenStore '@releaseDomain' -Drive wpn).Path"));
        session.Run("Disconnect-XenStore -Name wpn");
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.True(condition(), "timed out waiting");
    }
}
