using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>Long provider work: Ctrl+C stops it at once, and it shows how far it has got.</summary>
public sealed class ProviderStopAndProgressTests
{
    [Theory]
    [InlineData("Get-Item silent:/local/domain/0")]
    [InlineData("Get-Content silent:/local/domain/0/name")]
    [InlineData("Copy-Item silent:/local/domain/0 silent:/copy -Recurse")]
    public void CtrlCStopsAProviderCommandWaitingOnASilentXenstored(string command)
    {
        using var silent = new SilentXenstored("silent-stop");
        using var session = new EngineSession();
        try
        {
            // No request timeout: only stopping the pipeline can end the wait.
            session.Run($"Connect-XenStore -Name silent -SocketPath '{silent.SocketPath}' -TimeoutSec 0 | Out-Null");
            using var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = session.Runspace;
            ps.AddScript(command);
            var running = ps.BeginInvoke();
            Thread.Sleep(700);
            Assert.False(running.IsCompleted);
            CtrlC.StopsPromptly(ps, running);
        }
        finally
        {
            session.TryRun("Disconnect-XenStore -Name silent");
        }
    }

    [Fact]
    public void ARecursiveCopyAndABigListingShowProgress()
    {
        using var session = new EngineSession();
        session.Run("""
            $client = $ExecutionContext.SessionState.Drive.Get('xs').Client
            $writes = foreach ($d in 0..29) { foreach ($f in 0..99) { $client.WriteAsync("/progress/d$d/f$f", 'v') } }
            [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]]$writes)
            """);
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript("Copy-Item xs:/progress xs:/progress-copy -Recurse; Get-ChildItem xs:/progress-copy -Recurse | Measure-Object | ForEach-Object Count");
        var count = ps.Invoke();
        Assert.Equal(3030, (int)count.Single().BaseObject);
        Assert.Contains(ps.Streams.Progress, p => p.Activity == "Copy-Item" && p.PercentComplete is > 0 and <= 100);
        Assert.Contains(ps.Streams.Progress, p => p.Activity == "Copy-Item" && p.RecordType == ProgressRecordType.Completed);
        Assert.Contains(ps.Streams.Progress, p => p.Activity == "Get-ChildItem" && p.StatusDescription.Contains("3,000 nodes", StringComparison.Ordinal));
    }
}
