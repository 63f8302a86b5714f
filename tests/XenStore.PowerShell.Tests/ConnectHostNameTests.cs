using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>
/// Connect-XenStore -HostName where no sshd is needed: a host that refuses the connection is
/// XenStore.SshHostUnreachable with the host as target, quickly, mounting nothing; a host name
/// that gives no drive name asks for -Name. Logging in, the tunnel and reconnects are
/// tests/Pester/Remoting.Tests.ps1's, against sshd servers of its own.
/// </summary>
public sealed class ConnectHostNameTests
{
    // Port 1 of the loopback: nothing listens, so ssh is refused at once (ssh options, no ssh configuration needed).
    private const string Unreachable = "-Port 1 -Options @{ Hostname = '127.0.0.1'; BatchMode = 'yes'; UserKnownHostsFile = '/dev/null'; GlobalKnownHostsFile = '/dev/null' }";

    [Fact]
    public void AHostThatRefusesTheConnectionIsSshHostUnreachableNamingTheHost()
    {
        using var session = new EngineSession();
        var started = DateTime.UtcNow;
        var (_, errors) = session.TryRun($"Connect-XenStore -HostName nohost.example {Unreachable} -TimeoutSec 10");
        var error = XenStoreErrorRecord.Among(errors);
        Assert.Equal("XenStore.SshHostUnreachable", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Equal("nohost.example", error.TargetObject);
        Assert.Contains("Connection refused", error.Exception.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        // The drive would have been named after the host's first label; it was not mounted.
        Assert.Empty(session.Run("Get-PSDrive nohost -ErrorAction Ignore"));
    }

    [Fact]
    public void AHostNameThatGivesNoDriveNameAsksForName()
    {
        using var session = new EngineSession();
        var (_, errors) = session.TryRun($"Connect-XenStore -HostName 'root@[::1]' {Unreachable}");
        var error = XenStoreErrorRecord.Among(errors);
        Assert.Equal("XenStore.InvalidDriveName", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("-Name", error.Exception.Message, StringComparison.Ordinal);
    }
}
