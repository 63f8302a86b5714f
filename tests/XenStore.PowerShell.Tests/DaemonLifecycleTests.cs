using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>Daemons and drives over restarts: one daemon per run directory, drives that reconnect, drives replaced on purpose.</summary>
public sealed class DaemonLifecycleTests
{
    [Fact]
    public void StartXenStoreDaemonIsRefusedWhereTheStandaloneHostServes()
    {
        using var host = StandaloneDaemon.Start();
        using var session = new EngineSession();
        var (_, errors) = session.TryRun($"Start-XenStoreDaemon -RunDirectory '{host.RunDir}'");
        var error = XenStoreErrorRecord.Among(errors);
        Assert.Equal("XenStore.DaemonRunning", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
        Assert.Contains($"xenstored already running (pid {host.Pid})", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(host.RunDir, error.TargetObject);
        // The host still serves its clients.
        session.Run($"Connect-XenStore -Name h -SocketPath '{host.SocketPath}' | Out-Null");
        Assert.Equal("Domain-0", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('h:/local/domain/0/name')[0].Value"));
        session.Run("Disconnect-XenStore -Name h");
    }

    [Fact]
    public void TheStandaloneHostIsRefusedWhereTheCmdletServesAndASecondCmdletToo()
    {
        var runDir = TestEnvironment.NewRunDir("pshost");
        using var session = new EngineSession();
        session.Run($"Start-XenStoreDaemon -RunDirectory '{runDir}' | Out-Null");
        try
        {
            var host = TestEnvironment.Run("dotnet", [StandaloneDaemon.HostAssembly, "--rundir", runDir], timeoutMs: 30_000);
            Assert.NotEqual(0, host.ExitCode);
            Assert.Contains($"xenstored already running (pid {Environment.ProcessId})", host.Stderr, StringComparison.Ordinal);
            // The same directory spelled another way is still the same daemon's.
            var (_, errors) = session.TryRun($"Start-XenStoreDaemon -RunDirectory '{runDir}/.'");
            Assert.Equal("XenStore.DaemonRunning", XenStoreErrorRecord.Among(errors).FullyQualifiedErrorId.Split(',')[0]);
            session.Run($"Connect-XenStore -Name c -SocketPath '{runDir}/socket' | Out-Null");
            Assert.Equal("Domain-0", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('c:/local/domain/0/name')[0].Value"));
            session.Run("Disconnect-XenStore -Name c");
        }
        finally
        {
            session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{runDir}'");
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public void ADriveReconnectsAfterTheDaemonRestartsAndConnectXenStoreReplacesADriveOnlyWithForce()
    {
        var runDir = TestEnvironment.NewRunDir("psrestart");
        using var session = new EngineSession();
        try
        {
            var first = StandaloneDaemon.Start(runDir: runDir);
            session.Run($"Connect-XenStore -Name r -SocketPath '{first.SocketPath}' | Out-Null");
            session.Run("$ExecutionContext.InvokeProvider.Item.New('r:/before', $null, 'node', '1') | Out-Null");
            first.Kill();

            // While nothing serves: the command stops with ConnectionLost, naming the reason: the
            // reconnection refused or, when the kill is noticed only by this request, the close.
            var (_, down) = session.TryRun("$ExecutionContext.InvokeProvider.Item.Get('r:/local/domain/0/name')");
            var lost = XenStoreErrorRecord.Among(down);
            Assert.Equal("XenStore.ConnectionLost", lost.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Matches("connection refused|closed the connection", lost.Exception.Message);

            // Once it serves again, the next command reconnects by itself.
            using var second = StandaloneDaemon.Start(runDir: runDir);
            Assert.Equal("Domain-0", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('r:/local/domain/0/name')[0].Value"));

            var (_, exists) = session.TryRun($"Connect-XenStore -Name r -SocketPath '{second.SocketPath}'");
            var error = XenStoreErrorRecord.Among(exists);
            Assert.Equal("XenStore.DriveExists", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
            Assert.Contains("-Force", error.Exception.Message, StringComparison.Ordinal);

            session.Run($"Connect-XenStore -Name r -SocketPath '{second.SocketPath}' -Root /local/domain/0 -Force | Out-Null");
            Assert.Equal("Domain-0", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('r:/name')[0].Value"));
            session.Run("Disconnect-XenStore -Name r");
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
