using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Security;

/// <summary>
/// Issue 12, finding 5: a permission entry naming a domain that does not exist when it is set
/// is kept (GET_PERMS shows it) but never honoured, also once a domain of that id appears, as
/// cxenstored marks it XS_PERM_IGNORE. Entries naming a domain that exists are honoured (the
/// toolstack grants before it introduces), and go when that domain dies, even if it never
/// owned a node nor was introduced.
/// </summary>
public sealed class UnbornDomainPermissionTests : IDisposable
{
    private readonly HashSet<uint> alive = [0];
    private readonly string directory = TestEnvironment.NewRunDir("unborn");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private bool Exists(uint domid)
    {
        lock (alive) return alive.Contains(domid);
    }

    private XenStoreDaemon Open(bool persist = false) => new(new DaemonOptions
    {
        DomainExists = Exists,
        Persistence = persist ? new PersistenceOptions(Path.Combine(directory, "store")) : null,
    });

    /// <summary>Domain 7 comes to exist and is introduced; its in-process connection.</summary>
    private InProcessClient BringUpSeven(XenStoreDaemon daemon, InProcessClient dom0)
    {
        lock (alive) alive.Add(7);
        dom0.Ok(dom0.Send(MessageType.Introduce, "7", "1", "1"));
        return new InProcessClient(daemon, 7, privileged: false);
    }

    [Fact]
    public void AnEntryNamingADomainThatDoesNotExistIsShownButNeverHonoured()
    {
        using var daemon = Open();
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Write("/secret", "s3cr3t"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/secret", "n0", "r7"));
        Assert.Equal("n0|r7|", dom0.Send(MessageType.GetPerms, "/secret").Text());

        var seven = BringUpSeven(daemon, dom0);
        Assert.Equal("EACCES", seven.Send(MessageType.Read, "/secret").ErrorName());
        // A child made later inherits the list as it is: the entry stays ignored there too.
        dom0.Ok(dom0.Write("/secret/child", "c"));
        Assert.Equal("EACCES", seven.Send(MessageType.Read, "/secret/child").ErrorName());
        // Neither does a write of the node's value revive the entry.
        dom0.Ok(dom0.Write("/secret", "again"));
        Assert.Equal("EACCES", seven.Send(MessageType.Read, "/secret").ErrorName());

        // Granted again now that domain 7 exists, it is honoured.
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/secret", "n0", "r7"));
        Assert.Equal("again", seven.Send(MessageType.Read, "/secret").Text());
    }

    [Fact]
    public void TheToolstacksGrantBeforeIntroduceIsHonoured()
    {
        using var daemon = Open();
        lock (alive) alive.Add(7);
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Write("/local/domain/7/name", "guest"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/7", "n0", "r7"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/7/name", "n0", "r7"));
        var seven = BringUpSeven(daemon, dom0);
        Assert.Equal("guest", seven.Send(MessageType.Read, "/local/domain/7/name").Text());
    }

    [Fact]
    public void TheSpecialWatchesIgnoreAnUnbornDomainToo()
    {
        using var daemon = Open();
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Send(MessageType.SetPerms, "@releaseDomain", "n0", "r7"));
        Assert.Equal("n0|r7|", dom0.Send(MessageType.GetPerms, "@releaseDomain").Text());
        var seven = BringUpSeven(daemon, dom0);
        Assert.Equal("EACCES", seven.Send(MessageType.GetPerms, "@releaseDomain").ErrorName());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnIgnoredEntryStaysIgnoredAfterARestart(bool fromSnapshot)
    {
        using (var daemon = Open(persist: true))
        {
            var dom0 = new InProcessClient(daemon);
            dom0.Ok(dom0.Write("/secret", "s"));
            dom0.Ok(dom0.Send(MessageType.SetPerms, "/secret", "n0", "r7", "r0"));
            dom0.Ok(dom0.Send(MessageType.SetPerms, "@releaseDomain", "n0", "r7"));
            if (fromSnapshot)
            {
                lock (daemon.Sync) daemon.Journal!.BeginSnapshot(daemon.Live.Root, daemon.Domains.PersistentState());
                daemon.Journal!.WaitForSnapshot();
            }
        }
        lock (alive) alive.Add(7);
        using (var daemon = Open(persist: true))
        {
            var dom0 = new InProcessClient(daemon);
            Assert.Equal("n0|r7|r0|", dom0.Send(MessageType.GetPerms, "/secret").Text());
            var seven = BringUpSeven(daemon, dom0);
            Assert.Equal("EACCES", seven.Send(MessageType.Read, "/secret").ErrorName());
            Assert.Equal("EACCES", seven.Send(MessageType.GetPerms, "@releaseDomain").ErrorName());
        }
    }

    [Fact]
    public void PersistedListsReadBackAsWritten()
    {
        var list = PermissionList.Parse("n0 r7 w8 b9").WithIgnoredEntries(domid => domid != 8);
        var back = PermissionList.ParsePersisted(list.ToPersistedString());
        Assert.Equal(list, back);
        Assert.Equal("n0 r7 !w8 b9", list.ToPersistedString());
        Assert.Equal("n0 r7 w8 b9", back.ToString());
        Assert.True(back.IsIgnored(2));
        Assert.False(back.IsIgnored(1));
        Assert.NotEqual(PermissionList.Parse("n0 r7 w8 b9"), back);
        // What is dropped keeps the marks of what stays.
        Assert.Equal("n0 !w8 b9", back.WithoutDomain(7).ToPersistedString());
    }

    [Fact]
    public async Task EntriesNamingADomainGoWhenItDiesThoughItOwnedNothing()
    {
        using var hypervisor = new ScriptedHypervisor();
        using var daemon = new XenStoreDaemon(new DaemonOptions { RingPlatform = hypervisor });
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(dom0.Write("/shared", "x"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/shared", "n0", "r7", "r8"));

        hypervisor.Kill(7);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (dom0.Send(MessageType.GetPerms, "/shared").Text() != "n0|r8|" && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal("n0|r8|", dom0.Send(MessageType.GetPerms, "/shared").Text());
        // No @releaseDomain for a domain that was never introduced.
        Assert.Equal("F|", dom0.Send(MessageType.IsDomainIntroduced, "7").Text());
    }

    /// <summary>A hypervisor whose domains all run until the test kills one, which it reports as Xen's VIRQ_DOM_EXC would.</summary>
    private sealed class ScriptedHypervisor : IRingPlatform, IDisposable
    {
        private readonly HashSet<uint> gone = [];

        public string Description => "scripted hypervisor";
        public event Action? DomainsChanged;

        public RingEndpoint Attach(uint domid, ulong frame, uint port) =>
            throw new InvalidOperationException("no rings in this test");

        public DomainRunState QueryDomain(uint domid)
        {
            lock (gone) return gone.Contains(domid) ? DomainRunState.Gone : DomainRunState.Running;
        }

        public void Kill(uint domid)
        {
            lock (gone) gone.Add(domid);
            DomainsChanged?.Invoke();
        }

        public void Dispose() => DomainsChanged = null;
    }
}
