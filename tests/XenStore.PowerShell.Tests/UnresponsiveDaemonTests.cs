using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>A xenstored that accepts the connection and never answers: the command stops with XenStore.Timeout.</summary>
public sealed class UnresponsiveDaemonTests
{
    [Fact]
    public void ARequestLeftUnansweredStopsTheCommandWithATimeoutError()
    {
        using var silent = new SilentXenstored("silent");
        using var session = new EngineSession();
        try
        {
            session.Run($"Connect-XenStore -Name silent -SocketPath '{silent.SocketPath}' -TimeoutSec 1 | Out-Null");
            var (_, errors) = session.TryRun("$ExecutionContext.InvokeProvider.Item.Get('silent:/local/domain/0/name')");
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.Timeout", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
            Assert.Contains("/local/domain/0/name", error.Exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            session.TryRun("Disconnect-XenStore -Name silent");
        }
    }
}
