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
}
