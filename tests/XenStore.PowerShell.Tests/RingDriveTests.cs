using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>A session as a guest domain: Connect-XenStore -Ring against Start-XenStoreDaemon -SimXen.</summary>
public sealed class RingDriveTests
{
    [Fact]
    public void AGuestDriveReadsAndWritesItsHomeAndIsRefusedElsewhere()
    {
        var runDir = TestEnvironment.NewRunDir("psring");
        var sim = Path.Combine(runDir, "sim");
        using var session = new EngineSession();
        session.Run($"Start-XenStoreDaemon -RunDirectory '{runDir}' -SimXen '{sim}' | Out-Null");
        try
        {
            session.Run($"Connect-XenStore -Name d0 -SocketPath '{runDir}/socket' | Out-Null");
            ConnectGuest(session, sim, 12);
            session.Run("$ExecutionContext.InvokeProvider.Item.New('guest:/local/domain/12/data/x', $null, 'node', 'from the guest') | Out-Null");
            Assert.Equal("from the guest", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('d0:/local/domain/12/data/x')[0].Value"));
            Assert.Equal("n12", session.Single<string>("(Get-XenStorePermission -Path d0:/local/domain/12/data/x).ToString()"));
            var (_, errors) = session.TryRun("$ExecutionContext.InvokeProvider.Item.Get('guest:/local/domain/0/name')");
            Assert.Contains(errors, e => e.ToString().Contains("EACCES", StringComparison.Ordinal) || (e.Exception?.InnerException?.Message.Contains("EACCES", StringComparison.Ordinal) ?? false));
            session.Run("Disconnect-XenStore -Name guest; Disconnect-XenStore -Name d0");
        }
        finally
        {
            session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{runDir}'");
            try { Directory.Delete(runDir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void AGuestOverItsMemoryQuotaGetsAQuotaExceededErrorAndTheDaemonTakesMistakenQuotasBadly()
    {
        var runDir = TestEnvironment.NewRunDir("psquota");
        var sim = Path.Combine(runDir, "sim");
        using var session = new EngineSession();
        var (_, refused) = session.TryRun($"Start-XenStoreDaemon -RunDirectory '{runDir}/other' -Quota @{{ bogus = 1 }}");
        Assert.Equal("XenStore.BadQuota", XenStoreErrorRecord.Among(refused).FullyQualifiedErrorId.Split(',')[0]);
        session.Run($"Start-XenStoreDaemon -RunDirectory '{runDir}' -SimXen '{sim}' -Quota @{{ memory = 20KB; 'soft-memory' = 10KB }} -WatchEventTimeoutSec 5 | Out-Null");
        try
        {
            session.Run($"Connect-XenStore -Name d0 -SocketPath '{runDir}/socket' | Out-Null");
            Assert.Equal(20480L, session.Single<long>("$ExecutionContext.SessionState.Drive.Get('d0').Client.GetQuotaAsync('memory').GetAwaiter().GetResult()"));
            ConnectGuest(session, sim, 13);
            var (_, errors) = session.TryRun("1..40 | ForEach-Object { $ExecutionContext.InvokeProvider.Item.New(\"guest:/local/domain/13/data/n$_\", $null, 'node', 'x' * 1000) } | Out-Null");
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.ENOMEM", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.QuotaExceeded, error.CategoryInfo.Category);
            session.Run("Disconnect-XenStore -Name guest; Disconnect-XenStore -Name d0");
        }
        finally
        {
            session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{runDir}'");
            try { Directory.Delete(runDir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void ASecondDriveOnTheSameGuestRingIsRefusedNamingTheFirstWhichKeepsWorking()
    {
        var runDir = TestEnvironment.NewRunDir("psring2");
        var sim = Path.Combine(runDir, "sim");
        using var session = new EngineSession();
        session.Run($"Start-XenStoreDaemon -RunDirectory '{runDir}' -SimXen '{sim}' | Out-Null");
        try
        {
            session.Run($"Connect-XenStore -Name d0 -SocketPath '{runDir}/socket' | Out-Null");
            ConnectGuest(session, sim, 5);
            var (_, errors) = session.TryRun($"Connect-XenStore -Name g5 -Ring -SimXen '{sim}' -DomainId 5");
            var error = XenStoreErrorRecord.Among(errors);
            Assert.Equal("XenStore.RingInUse", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ResourceBusy, error.CategoryInfo.Category);
            Assert.Contains("domain 5's ring is already connected in this session (drive guest)", error.Exception.Message, StringComparison.Ordinal);
            Assert.Empty(session.Run("$ExecutionContext.SessionState.Drive.GetAllForProvider('XenStore') | Where-Object Name -eq g5"));
            session.Run("$ExecutionContext.InvokeProvider.Item.New('guest:/local/domain/5/data/y', $null, 'node', 'still mine') | Out-Null");
            Assert.Equal("still mine", session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('d0:/local/domain/5/data/y')[0].Value"));
            // Once the first is gone, the ring is free again.
            session.Run("Disconnect-XenStore -Name guest");
            session.Run($"Connect-XenStore -Name g5 -Ring -SimXen '{sim}' -DomainId 5 | Out-Null");
            session.Run("Disconnect-XenStore -Name g5; Disconnect-XenStore -Name d0");
        }
        finally
        {
            session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{runDir}'");
            try { Directory.Delete(runDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Drive "guest" as domain <paramref name="domid"/> on its ring; dom0's drive "d0" introduces it and gives it a data/ of its own.</summary>
    private static void ConnectGuest(EngineSession session, string sim, uint domid)
    {
        session.Run($"Connect-XenStore -Name guest -Ring -SimXen '{sim}' -DomainId {domid} | Out-Null");
        session.Run($"""
            $c = $ExecutionContext.SessionState.Drive.Get('d0').Client
            $c.IntroduceAsync({domid}, 1, 1).GetAwaiter().GetResult()
            $ExecutionContext.InvokeProvider.Item.New('d0:/local/domain/{domid}/data', $null, 'node', '') | Out-Null
            Set-XenStorePermission -Path d0:/local/domain/{domid}/data -Permission n{domid}
            """);
    }
}
