using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Daemon;

/// <summary>
/// The parts of the commit path alone: the stores enter their changes in a change set and can
/// undo them, without a daemon; and the daemon's lock is never held for something else's work.
/// </summary>
public sealed class CommitPathTests
{
    private static (ChangeSet Changes, LiveStore Live, DomainTable Domains) Stores()
    {
        var changes = new ChangeSet(journaling: true);
        var live = new LiveStore(changes);
        var domains = new DomainTable(new DaemonOptions(), new QuotaSettings(), live, new WatchRegistry(), changes);
        live.Create("/local", [], PermissionList.Dom0Only);
        changes.Commit();
        return (changes, live, domains);
    }

    [Fact]
    public void LiveStoreChangesAreJournalEntriesAndEventsUntilSettled()
    {
        var (changes, live, _) = Stores();
        var guestOwned = PermissionList.Parse("n5");
        live.Create("/local/x", Wire.Encode("1"), guestOwned);
        live.Create("/local/x/y", Wire.Encode("2"), guestOwned);
        live.Delete("/local/x");
        Assert.Equal([JournalOpKind.PutNode, JournalOpKind.PutNode, JournalOpKind.DeleteNode], changes.Entries.Select(e => e.Kind));
        // RM's events (children first, exact, then the removed node's own) wait in the change set.
        Assert.Equal(["/local/x/y", "/local/x", "/local/x"], changes.Outputs.Select(o => o.Change.Path));
        changes.Commit();
        Assert.Empty(changes.Entries);
        Assert.Null(live.Get("/local/x"));
    }

    [Fact]
    public void UndoingPutsBackTheTreeAndWhatEachOwnerHolds()
    {
        var (changes, live, _) = Stores();
        var guestOwned = PermissionList.Parse("n5");
        live.Create("/local/keep", Wire.Encode("k"), guestOwned);
        changes.Commit();
        var rootBefore = live.Root;
        var bytesBefore = live.BytesOwnedBy(5);

        live.Create("/local/new", Wire.Encode("n"), guestOwned);
        live.Update("/local/keep", Wire.Encode("changed"), PermissionList.Parse("n6"));
        live.Delete("/local/keep");
        changes.Undo();

        Assert.Same(rootBefore, live.Root);
        Assert.Equal(1, live.NodesOwnedBy(5));
        Assert.Equal(bytesBefore, live.BytesOwnedBy(5));
        Assert.Equal(0, live.NodesOwnedBy(6));
        Assert.Empty(changes.Outputs);
        Assert.Empty(changes.Entries);
    }

    [Fact]
    public void AReleaseUndoneBringsBackTheDomainItsNodesAndTargetsAndStopsNoRing()
    {
        var (changes, live, domains) = Stores();
        domains.Introduce(5, 1, 1);
        domains.Introduce(6, 1, 1);
        domains.SetTarget(6, 5);
        live.Create("/local/five", [], PermissionList.Parse("n5"));
        changes.Commit();

        domains.Remove(5);
        Assert.False(domains.IsIntroduced(5));
        Assert.Null(domains.Find(6)!.Target);
        changes.Undo();

        Assert.True(domains.IsIntroduced(5));
        Assert.Equal(5u, domains.Find(6)!.Target);
        Assert.NotNull(live.Get("/local/five"));
        Assert.Equal(1, live.NodesOwnedBy(5));
    }

    [Fact]
    public void ATransactionCommitsIntoTheChangeSetOnly()
    {
        var (changes, live, domains) = Stores();
        using var daemon = new XenStoreDaemon();
        var connection = daemon.Connect();
        var transaction = new Transaction(live, domains, connection, 1, _ => false);
        transaction.Create("/local/t", Wire.Encode("v"), PermissionList.Dom0Only);
        transaction.Notify(new ChangeEvent("/local/t", false, PermissionList.Dom0Only, null, PermissionList.Dom0Only));
        Assert.Null(live.Get("/local/t"));
        Assert.Null(transaction.Commit());
        Assert.NotNull(live.Get("/local/t"));
        Assert.Single(changes.Outputs);
        changes.Undo();
        Assert.Null(live.Get("/local/t"));
    }

    [Fact]
    public async Task ABlockedLogSubscriberDoesNotStallRequests()
    {
        using var daemon = new XenStoreDaemon();
        using var blocked = new ManualResetEventSlim();
        daemon.Log += _ => blocked.Wait();
        var client = new InProcessClient(daemon);
        client.Ok(client.Send(MessageType.Control, "log", "on"));
        try
        {
            var answered = Task.Run(() =>
            {
                for (var i = 0; i < 100; i++) client.Ok(client.Write($"/logged/{i}", "x"));
            });
            Assert.Same(answered, await Task.WhenAny(answered, Task.Delay(TimeSpan.FromSeconds(10))));
        }
        finally
        {
            blocked.Set();
        }
    }

    [Fact]
    public async Task AHypervisorSlowToAnswerDoesNotStallRequests()
    {
        var sim = TestEnvironment.NewRunDir("slow-hv");
        try
        {
            using var hypervisor = new SlowHypervisor(new SimulatedXen(sim));
            using var daemon = new XenStoreDaemon(new DaemonOptions { RingPlatform = hypervisor });
            var guest = RingTransport.CreateSimulatedGuest(sim, 7);
            try
            {
                var dom0 = new InProcessClient(daemon);
                dom0.Ok(dom0.Send(MessageType.Introduce, "7", "1", "1"));
                var rescan = Task.Run(hypervisor.RaiseDomainsChanged);
                Assert.True(hypervisor.Asked.Wait(TimeSpan.FromSeconds(10)), "the daemon never asked the hypervisor");
                var read = Task.Run(() => dom0.Send(MessageType.Read, "/local/domain/0/name"));
                Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5))));
                hypervisor.Answer.Set();
                await rescan.WaitAsync(TimeSpan.FromSeconds(10));
            }
            finally
            {
                hypervisor.Answer.Set();
                await guest.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(sim, recursive: true);
        }
    }

    /// <summary>Serves rings as the simulated hypervisor does, but takes its time to say how a domain is.</summary>
    private sealed class SlowHypervisor(SimulatedXen inner) : IRingPlatform, IDisposable
    {
        public ManualResetEventSlim Asked { get; } = new();
        public ManualResetEventSlim Answer { get; } = new();
        public string Description => "slow " + inner.Description;
        public event Action? DomainsChanged;
        public RingEndpoint Attach(uint domid, ulong frame, uint port) => inner.Attach(domid, frame, port);

        public DomainRunState QueryDomain(uint domid)
        {
            Asked.Set();
            Answer.Wait();
            return DomainRunState.Running;
        }

        public void RaiseDomainsChanged() => DomainsChanged?.Invoke();

        public void Dispose()
        {
            Asked.Dispose();
            Answer.Dispose();
        }
    }
}
