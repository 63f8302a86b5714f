using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>A command that fails half-way gives back what it had opened.</summary>
public sealed class FailedStartLeakTests
{
    [Fact]
    public void ADriveTheEngineRefusesClosesItsConnection()
    {
        var runDir = TestEnvironment.NewRunDir("refused-drive");
        using var session = new EngineSession();
        try
        {
            session.Run($"$d = Start-XenStoreDaemon -RunDirectory '{runDir}'");
            // The connection is made, then the engine refuses the drive: there is no scope 99.
            var (_, errors) = session.TryRun($"Connect-XenStore -Name refused -SocketPath '{runDir}/socket' -Scope 99");
            Assert.NotEmpty(errors);
            Assert.Empty(session.Run("Get-PSDrive -Name refused -ErrorAction Ignore"));
            Assert.True(SpinWait.SpinUntil(() => session.Single<int>("$d.Connections") == 0, TimeSpan.FromSeconds(10)),
                "the refused drive's connection is still open");
        }
        finally
        {
            session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{runDir}'");
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public void ADaemonWhoseSocketCannotBeMadeSaysSoAndKeepsNothing()
    {
        var runDir = TestEnvironment.NewRunDir("unbindable");
        // Something else where the socket goes: the bind fails after the store is loaded.
        var obstacle = Path.Combine(runDir, "socket", "not-a-socket");
        Directory.CreateDirectory(obstacle);
        using var session = new EngineSession();
        try
        {
            var start = $"Start-XenStoreDaemon -RunDirectory '{runDir}' -PersistPath '{runDir}/store' -SimXen '{runDir}/sim'";
            var (_, errors) = session.TryRun(start);
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.SocketUnavailable", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
            Assert.StartsWith($"cannot serve {runDir}/socket: ", error.Exception.Message, StringComparison.Ordinal);
            Assert.Equal(runDir, error.TargetObject);

            // Nothing of it is kept: no file of the run directory open (journal, lock), no pid file.
            Assert.Empty(OpenFilesUnder(runDir));
            Assert.False(File.Exists(Path.Combine(runDir, "xenstored.pid")));
            // With the obstacle gone, the same directory and store serve.
            Directory.Delete(Path.Combine(runDir, "socket"), recursive: true);
            session.Run($"$d = {start}");
            session.Run($"Connect-XenStore -Name again -SocketPath '{runDir}/socket' | Out-Null");
            Assert.Equal("Domain-0", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('again:/local/domain/0/name')[0].Value"));
            session.Run("Disconnect-XenStore -Name again");
        }
        finally
        {
            session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{runDir}'");
            Directory.Delete(runDir, recursive: true);
        }
    }

    /// <summary>Files under <paramref name="dir"/> this process has open (Linux: /proc/self/fd).</summary>
    private static List<string> OpenFilesUnder(string dir)
    {
        var open = new List<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(dir + "/", StringComparison.Ordinal)) open.Add(target);
            }
            catch (IOException) { } // closed meanwhile
        }
        return open;
    }
}
