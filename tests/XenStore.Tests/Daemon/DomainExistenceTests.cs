using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// Which domains exist, so that SET_PERMS may name them as owners: a toolstack writes
/// /local/domain/N owned by N before it introduces N (on Xen the domain already exists).
/// </summary>
public sealed class DomainExistenceTests
{
    /// <summary>The toolstack's order: the domain's home, given to it, before its INTRODUCE.</summary>
    private static Message GiveHome(InProcessClient dom0, uint domid)
    {
        var home = XenStorePath.DomainHome(domid);
        dom0.Ok(dom0.Write(home + "/name", "guest"));
        return dom0.Send(MessageType.SetPerms, home, $"n{domid}", "r0");
    }

    [Fact]
    public void WithoutAPlatformEveryDomidBelowTheReservedOnesExists()
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions());
        var dom0 = new InProcessClient(daemon);
        dom0.Ok(GiveHome(dom0, 7));
        Assert.Equal("n7|r0|", dom0.Send(MessageType.GetPerms, "/local/domain/7").Text());
        Assert.Equal("F|", dom0.Send(MessageType.IsDomainIntroduced, "7").Text());
        dom0.Ok(dom0.Write("/a", "1"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/a", "n32751", "r9999"));
        // Ids from DOMID_FIRST_RESERVED up are never domains, on nodes and on the special watches alike.
        foreach (var owner in new[] { "n32752", "n32767", "n65535" })
        {
            Assert.Equal("ENOENT", dom0.Send(MessageType.SetPerms, "/a", owner).ErrorName());
            Assert.Equal("ENOENT", dom0.Send(MessageType.SetPerms, "@releaseDomain", owner).ErrorName());
        }
        Assert.Equal("n32751|r9999|", dom0.Send(MessageType.GetPerms, "/a").Text());
        // Existing is not being introduced: what needs an introduced domain still refuses.
        Assert.Equal("ENOENT", dom0.Send(MessageType.Release, "7").ErrorName());
        Assert.Equal("ENOENT", dom0.Send(MessageType.SetTarget, "7", "0").ErrorName());
        // cxenstored keeps accounts for a domain that owns nodes, introduced or not.
        Assert.StartsWith("Domain 7:", dom0.Send(MessageType.Control, "quota", "7").Text(), StringComparison.Ordinal);
        Assert.Equal("ENOENT", dom0.Send(MessageType.Control, "quota", "8").ErrorName());
        // Introduced later, the domain keeps what it was given; released, it loses it.
        dom0.Ok(dom0.Send(MessageType.Introduce, "7", "1", "1"));
        Assert.Equal("n7|r0|", dom0.Send(MessageType.GetPerms, "/local/domain/7").Text());
        dom0.Ok(dom0.Send(MessageType.Release, "7"));
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/7/name").ErrorName());
    }

    [Fact]
    public void StrictDomainsLetOnlyDom0AndIntroducedDomainsOwnNodes()
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions { StrictDomains = true });
        var dom0 = new InProcessClient(daemon);
        Assert.Equal("ENOENT", GiveHome(dom0, 7).ErrorName());
        Assert.Equal("n0|", dom0.Send(MessageType.GetPerms, "/local/domain/7").Text());
        Assert.Equal("ENOENT", dom0.Send(MessageType.SetPerms, "@releaseDomain", "n7").ErrorName());
        // Other entries may name any domain; only the owner must exist.
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/7", "n0", "r7"));
        dom0.Ok(dom0.Send(MessageType.Introduce, "7", "1", "1"));
        dom0.Ok(GiveHome(dom0, 7));
        dom0.Ok(dom0.Send(MessageType.Release, "7"));
        Assert.Equal("ENOENT", dom0.Send(MessageType.SetPerms, "/local/domain/0", "n7").ErrorName());
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/0", "n0"));
    }

    [Fact]
    public void OnTheSimulatedHypervisorADomainExistsUntilItIsDestroyed()
    {
        var simDirectory = TestEnvironment.NewRunDir("simexist");
        try
        {
            var sim = new SimulatedXen(simDirectory);
            using var daemon = new XenStoreDaemon(new DaemonOptions { RingPlatform = sim });
            var dom0 = new InProcessClient(daemon);
            dom0.Ok(dom0.Send(MessageType.Watch, "@releaseDomain", "rel"));

            // Not introduced, yet it exists: the toolstack's order works.
            dom0.Ok(GiveHome(dom0, 7));
            dom0.Ok(dom0.Write("/shared", "s"));
            dom0.Ok(dom0.Send(MessageType.SetPerms, "/shared", "n0", "r7"));
            Assert.Equal(DomainRunState.Running, sim.QueryDomain(7));

            // Destroyed before it was ever introduced: its nodes and ACL entries go, without
            // @releaseDomain (as cxenstored when such a domain dies), and it exists no more.
            var releases = dom0.Events.Count(e => e.Token == "rel");
            dom0.Ok(dom0.Send(MessageType.Control, "sim-destroy", "7"));
            Assert.Equal(DomainRunState.Gone, sim.QueryDomain(7));
            Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/7/name").ErrorName());
            Assert.Equal("n0|", dom0.Send(MessageType.GetPerms, "/shared").Text());
            Assert.Equal(releases, dom0.Events.Count(e => e.Token == "rel"));
            Assert.Equal("ENOENT", GiveHome(dom0, 7).ErrorName());
            Assert.Equal("ENOENT", dom0.Send(MessageType.Control, "sim-destroy", "7").ErrorName());

            // Created again, it exists again.
            dom0.Ok(dom0.Send(MessageType.Control, "sim-create", "7"));
            dom0.Ok(GiveHome(dom0, 7));

            // An introduced domain destroyed is released (@releaseDomain), and exists again when
            // its guest is introduced anew.
            using (sim.CreateGuest(8))
            {
                dom0.Ok(dom0.Send(MessageType.Introduce, "8", "1", "1"));
                dom0.Ok(GiveHome(dom0, 8));
                dom0.Ok(dom0.Send(MessageType.Control, "sim-destroy", "8"));
                Assert.True(dom0.WaitForEvent(e => e.Token == "rel", TimeSpan.FromSeconds(5)));
                Assert.Equal(releases + 1, dom0.Events.Count(e => e.Token == "rel"));
                Assert.Equal("F|", dom0.Send(MessageType.IsDomainIntroduced, "8").Text());
                Assert.Equal("ENOENT", GiveHome(dom0, 8).ErrorName());
            }
            using (sim.CreateGuest(8))
            {
                dom0.Ok(dom0.Send(MessageType.Introduce, "8", "1", "1"));
                dom0.Ok(GiveHome(dom0, 8));
            }

            Assert.Equal("EINVAL", dom0.Send(MessageType.Control, "sim-create", "0").ErrorName());
            Assert.Equal("EINVAL", dom0.Send(MessageType.Control, "sim-destroy", "32752").ErrorName());
        }
        finally
        {
            Directory.Delete(simDirectory, recursive: true);
        }
    }

    [Fact]
    public void SimCreateIsOnlyThereWithTheSimulatedHypervisor()
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions());
        var dom0 = new InProcessClient(daemon);
        Assert.Equal("EINVAL", dom0.Send(MessageType.Control, "sim-create", "7").ErrorName());
        Assert.DoesNotContain("sim-", dom0.Send(MessageType.Control, "help").Text(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnOwnerTheHostSaysExistsOverridesTheRule()
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions { DomainExists = d => d is 0 or 5 });
        var dom0 = new InProcessClient(daemon);
        Assert.Equal("ENOENT", GiveHome(dom0, 7).ErrorName());
        dom0.Ok(GiveHome(dom0, 5));
    }
}
