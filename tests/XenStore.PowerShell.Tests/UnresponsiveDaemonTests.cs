using System.Management.Automation;
using System.Net.Sockets;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>A xenstored that accepts the connection and never answers: the command stops with XenStore.Timeout.</summary>
public sealed class UnresponsiveDaemonTests
{
    [Fact]
    public void ARequestLeftUnansweredStopsTheCommandWithATimeoutError()
    {
        var runDir = TestEnvironment.NewRunDir("silent");
        var socketPath = Path.Combine(runDir, "socket");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        using var session = new EngineSession();
        try
        {
            session.Run($"Connect-XenStore -Name silent -SocketPath '{socketPath}' -TimeoutSec 1 | Out-Null");
            var (_, errors) = session.TryRun("$ExecutionContext.InvokeProvider.Item.Get('silent:/local/domain/0/name')");
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.Timeout", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
            Assert.Contains("/local/domain/0/name", error.Exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            session.TryRun("Disconnect-XenStore -Name silent");
            Directory.Delete(runDir, recursive: true);
        }
    }
}
