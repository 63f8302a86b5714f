using System.Diagnostics;
using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>Watches whose daemon dies under them, and -Wait's two ways to end.</summary>
public sealed class WatchConnectionTests
{
    [Fact]
    public void WatchWaitStopsWithConnectionLostWhenTheDaemonDies()
    {
        using var daemon = StandaloneDaemon.Start();
        using var session = new EngineSession();
        session.Run($"Connect-XenStore -Name wd -SocketPath '{daemon.SocketPath}' | Out-Null");
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript("Watch-XenStore -Path wd:/local -Wait -Timeout 60");
        var output = new PSDataCollection<PSObject>();
        var clock = Stopwatch.StartNew();
        var running = ps.BeginInvoke(new PSDataCollection<PSObject>(), output);
        WaitUntil(() => output.Count >= 1);
        daemon.Kill();
        var errors = new List<ErrorRecord>();
        try
        {
            ps.EndInvoke(running);
        }
        catch (RuntimeException ended)
        {
            errors.Add(ended.ErrorRecord);
        }
        errors.AddRange(ps.Streams.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"-Wait ran on for {clock.Elapsed} after the daemon died");
        var error = XenStoreErrorRecord.Among(errors);
        Assert.Equal("XenStore.ConnectionLost", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        session.Run("Disconnect-XenStore -Name wd");
    }

    [Fact]
    public void AWatcherTellsItsSubscribersWhenTheDaemonDies()
    {
        using var daemon = StandaloneDaemon.Start();
        using var session = new EngineSession();
        session.Run($"Connect-XenStore -Name ws -SocketPath '{daemon.SocketPath}' | Out-Null");
        session.Run("$global:w = Watch-XenStore -Path ws:/local");
        // What Register-ObjectEvent does: subscribe through the engine's event manager (it arms the watcher).
        session.Run("$ExecutionContext.Events.SubscribeEvent($global:w, 'Changed', 'ws-changed', $null, $null, $false, $false) | Out-Null");
        session.Run("$ExecutionContext.Events.SubscribeEvent($global:w, 'ConnectionLost', 'ws-lost', $null, $null, $false, $false) | Out-Null");
        Assert.True(session.Single<bool>("$global:w.EnableRaisingEvents"));
        daemon.Kill();
        var received = "";
        WaitUntil(() => (received = string.Join("\n", session.Run(
            "Get-Event -SourceIdentifier 'ws-lost' -ErrorAction Ignore | ForEach-Object { $_.SourceEventArgs.Exception.GetType().Name }")
            .Select(o => o.ToString()))).Length > 0);
        Assert.Equal("XenStoreConnectionException", received);
        Assert.False(session.Single<bool>("$global:w.EnableRaisingEvents"), "the watch has ended");
        Assert.Equal("XenStoreConnectionException", session.Single<string>("$global:w.Error.GetType().Name"));
        session.Run("Disconnect-XenStore -Name ws");
    }

    [Fact]
    public void WatchWaitSaysWhenItsTimeoutCameBeforeItsCount()
    {
        var runDir = TestEnvironment.NewRunDir("pswt");
        using var session = new EngineSession();
        session.Run($"Start-XenStoreDaemon -RunDirectory '{runDir}' | Out-Null");
        try
        {
            session.Run($"Connect-XenStore -Name wt -SocketPath '{runDir}/socket' | Out-Null");
            var (output, errors) = session.TryRun("Watch-XenStore -Path wt:/local -Wait -Count 2 -Timeout 1");
            Assert.Single(output);
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.WatchTimeout", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
            Assert.Contains("1 of 2", error.Exception.Message, StringComparison.Ordinal);
            // Its count reached, or no count asked for: silent.
            Assert.Single(session.Run("Watch-XenStore -Path wt:/local -Wait -Count 1 -Timeout 10"));
            Assert.Single(session.Run("Watch-XenStore -Path wt:/local -Wait -Timeout 1"));
            session.Run("Disconnect-XenStore -Name wt");
        }
        finally
        {
            session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{runDir}'");
            Directory.Delete(runDir, recursive: true);
        }
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.True(condition(), "timed out waiting");
    }
}
