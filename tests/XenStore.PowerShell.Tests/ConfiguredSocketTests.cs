using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>
/// A XENSTORED_PATH that leads nowhere is an error naming it, never a quiet embedded store.
/// Alone in its collection: the variable is the whole process's, and every session reads it.
/// </summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class ConfiguredSocketTests
{
    [Fact]
    public void AMistypedXenstoredPathMountsNoXsDriveAndConnectXenStoreNamesIt()
    {
        var runDir = TestEnvironment.NewRunDir("pscfg");
        var mistyped = Path.Combine(runDir, "sockte");
        var saved = Environment.GetEnvironmentVariable("XENSTORED_PATH");
        Environment.SetEnvironmentVariable("XENSTORED_PATH", mistyped);
        var host = new CapturingHost();
        try
        {
            using var session = new EngineSession(host: host);
            Assert.Contains($"XENSTORED_PATH names {mistyped}", host.Output, StringComparison.Ordinal);
            Assert.Contains("no such file", host.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("embedded", host.Output, StringComparison.Ordinal);
            Assert.Empty(session.Run("$ExecutionContext.SessionState.Drive.GetAllForProvider('XenStore')"));

            var (_, errors) = session.TryRun("Connect-XenStore -Name xs");
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.ConnectFailed", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
            Assert.Contains($"XENSTORED_PATH names {mistyped}", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("no such file", error.Exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XENSTORED_PATH", saved);
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public void AXenstoredPathThatAnswersIsWhatXsMounts()
    {
        using var daemon = StandaloneDaemon.Start();
        var saved = Environment.GetEnvironmentVariable("XENSTORED_PATH");
        Environment.SetEnvironmentVariable("XENSTORED_PATH", daemon.SocketPath);
        try
        {
            using var session = new EngineSession();
            Assert.Equal($"socket {daemon.SocketPath}", session.Single<string>("$ExecutionContext.SessionState.Drive.Get('xs').Connection"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("XENSTORED_PATH", saved);
        }
    }
}

/// <summary>Tests that change the process's environment run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;
