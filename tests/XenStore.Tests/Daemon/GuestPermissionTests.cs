using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// What an unprivileged domain may do (protocol §6), through in-process connections: over the
/// socket every connection is privileged, so this is where guests' rules are pinned down.
/// </summary>
public sealed class GuestPermissionTests : IDisposable
{
    private readonly XenStoreDaemon daemon = new();
    private readonly InProcessClient dom0;

    public GuestPermissionTests()
    {
        dom0 = new InProcessClient(daemon);
        foreach (var d in new[] { "5", "6", "7" }) dom0.Ok(dom0.Send(MessageType.Introduce, d, "1", "1"));
        dom0.Ok(dom0.Write("/shared/readable", "r"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/shared/readable", "n0", "r5"));
        dom0.Ok(dom0.Write("/shared/writable", "w"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/shared/writable", "n0", "b5"));
        dom0.Ok(dom0.Write("/secret/deep/node", "s"));
        dom0.Ok(dom0.Send(MessageType.Mkdir, "/local/domain/5/data"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5", "n0", "r5"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data", "n5"));
    }

    public void Dispose() => daemon.Dispose();

    private InProcessClient Guest(uint domid) => new(daemon, domid, privileged: false);

    [Fact]
    public void AccessFollowsTheOwnerAndTheEntries()
    {
        var g = Guest(5);
        Assert.Equal("r", g.Send(MessageType.Read, "/shared/readable").Text());
        Assert.Equal("EACCES", g.Write("/shared/readable", "x").ErrorName());
        Assert.Equal("OK|", g.Write("/shared/writable", "mine now").Text());
        Assert.Equal("EACCES", g.Send(MessageType.Read, "/secret/deep/node").ErrorName());
        var other = Guest(6);
        Assert.Equal("EACCES", other.Send(MessageType.Read, "/shared/readable").ErrorName());
    }

    [Fact]
    public void ExistenceIsHiddenWhereTheCallerMayNotLook()
    {
        var g = Guest(5);
        // Missing below a node it may read: the truth. Missing below a secret: EACCES.
        Assert.Equal("ENOENT", g.Send(MessageType.Read, "/local/domain/5/data/none").ErrorName());
        Assert.Equal("EACCES", g.Send(MessageType.Read, "/secret/deep/none").ErrorName());
        Assert.Equal("EACCES", g.Send(MessageType.Read, "/secret/none/at/all").ErrorName());
    }

    [Fact]
    public void WhatAGuestCreatesItOwnsWithTheAncestorsOtherEntries()
    {
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/local/domain/5/data", "n5", "r6"));
        var g = Guest(5);
        g.Ok(g.Write("data/a/b", "1"));
        Assert.Equal("n5|r6|", g.Send(MessageType.GetPerms, "data/a/b").Text());
        Assert.Equal("n5|r6|", g.Send(MessageType.GetPerms, "data/a").Text());
        Assert.Equal("1", Guest(6).Send(MessageType.Read, "/local/domain/5/data/a/b").Text());
    }

    [Fact]
    public void SetPermsRulesForGuests()
    {
        var g = Guest(5);
        g.Ok(g.Write("data/p", "1"));
        Assert.Equal("OK|", g.Send(MessageType.SetPerms, "data/p", "n5", "r6").Text());
        Assert.Equal("EPERM", g.Send(MessageType.SetPerms, "data/p", "n6").ErrorName());
        Assert.Equal("ENOSPC", g.Send(MessageType.SetPerms, "data/p", "n5", "r1", "r2", "r3", "r4", "r6").ErrorName());
        Assert.Equal("EACCES", Guest(6).Send(MessageType.SetPerms, "/local/domain/5/data/p", "n6").ErrorName());
        Assert.Equal("EACCES", g.Send(MessageType.SetPerms, "/shared/writable", "n5").ErrorName());
    }

    [Fact]
    public void PrivilegedRequestsAreRefusedToGuests()
    {
        var g = Guest(5);
        foreach (var type in new[] { MessageType.Control, MessageType.Introduce, MessageType.Release, MessageType.IsDomainIntroduced, MessageType.Resume, MessageType.SetTarget })
            Assert.Equal("EACCES", g.Send(type, "5", "1", "1").ErrorName());
        Assert.Equal("/local/domain/9|", g.Send(MessageType.GetDomainPath, "9").Text());
    }

    [Fact]
    public void ATargetActsForItsDomain()
    {
        var stubdom = Guest(7);
        Assert.Equal("EACCES", stubdom.Send(MessageType.Read, "/local/domain/5/data").ErrorName());
        dom0.Ok(dom0.Send(MessageType.SetTarget, "7", "5"));
        Assert.Equal("", stubdom.Send(MessageType.Read, "/local/domain/5/data").Text());
        Assert.Equal("OK|", stubdom.Write("/local/domain/5/data/by-stubdom", "x").Text());
        Assert.Equal("r", stubdom.Send(MessageType.Read, "/shared/readable").Text());
    }

    [Fact]
    public void WatchEventsAreFilteredByWhatTheWatcherMayRead()
    {
        var g = Guest(6);
        g.Ok(g.Send(MessageType.Watch, "/", "all"));
        dom0.Ok(dom0.Write("/secret/deep/node", "changed"));
        dom0.Ok(dom0.Write("/shared/readable", "changed"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/shared/readable", "n0", "r6"));
        Assert.True(g.WaitForEvent(e => e.Path == "/shared/readable", TimeSpan.FromSeconds(2)));
        Assert.DoesNotContain(g.Events, e => e.Path.StartsWith("/secret", StringComparison.Ordinal));
        // Special watches are for the privileged unless their permissions say otherwise.
        g.Ok(g.Send(MessageType.Watch, "@introduceDomain", "intro"));
        dom0.Ok(dom0.Send(MessageType.Introduce, "8", "1", "1"));
        Assert.Single(g.Events, e => e.Token == "intro");
        dom0.Ok(dom0.Send(MessageType.SetPerms, "@introduceDomain", "n0", "r6"));
        dom0.Ok(dom0.Send(MessageType.Introduce, "9", "1", "1"));
        Assert.Equal(2, g.Events.Count(e => e.Token == "intro"));
    }

    [Fact]
    public void GuestQuotasHoldAndDom0IsNotBound()
    {
        var small = new XenStoreDaemon(new DaemonOptions { Quotas = new QuotaSettings { Nodes = 5, Watches = 2, Transactions = 1, TransactionNodes = 4 } });
        var root = new InProcessClient(small);
        root.Ok(root.Send(MessageType.Introduce, "5", "1", "1"));
        root.Ok(root.Send(MessageType.Mkdir, "/local/domain/5/data"));
        root.Ok(root.Send(MessageType.SetPerms, "/local/domain/5/data", "n5"));
        var g = new InProcessClient(small, 5, privileged: false);
        var writes = Enumerable.Range(0, 8).Select(i => g.Write($"data/n{i}", "x").Text()).ToList();
        Assert.Equal(4, writes.Count(w => w == "OK|")); // data itself counts: 5 nodes in all
        Assert.Contains("ENOSPC|", writes);
        // A quota refusal leaves nothing half made (XSA-414/415).
        Assert.Equal("ENOSPC", g.Write("data/x/y/z", "deep").ErrorName());
        Assert.Equal("ENOENT", root.Send(MessageType.Read, "/local/domain/5/data/x").ErrorName());
        Assert.Equal(["OK|", "OK|", "E2BIG|"], Enumerable.Range(0, 3).Select(i => g.Send(MessageType.Watch, "data", $"t{i}").Text()));
        g.Send(MessageType.TransactionStart, "");
        Assert.Equal("ENOSPC", g.Send(MessageType.TransactionStart, "").ErrorName());
        root.Ok(root.Write("/local/domain/5/data/by-dom0-1", "x"));
        root.Ok(root.Write("/local/domain/5/data/by-dom0-2", "x"));
    }

    [Fact]
    public void ReleaseRemovesEverythingTheDomainOwnedAndAReusedIdInheritsNothing()
    {
        var g = Guest(5);
        g.Ok(g.Write("data/mine", "x"));
        dom0.Ok(dom0.Write("/elsewhere", "y"));
        dom0.Ok(dom0.Send(MessageType.SetPerms, "/elsewhere", "n0", "r5"));
        dom0.Ok(dom0.Send(MessageType.Release, "5"));
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/local/domain/5/data/mine").ErrorName());
        Assert.Equal("n0|", dom0.Send(MessageType.GetPerms, "/elsewhere").Text());
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        Assert.Equal("EACCES", Guest(5).Send(MessageType.Read, "/elsewhere").ErrorName());
    }

    [Fact]
    public void RandomGarbageNeverBreaksTheDaemon()
    {
        var random = new Random(11);
        var c = Guest(5);
        var root = new InProcessClient(daemon);
        for (var i = 0; i < 3000; i++)
        {
            var payload = new byte[random.Next(0, 64)];
            random.NextBytes(payload);
            if (random.Next(3) == 0) payload = [.. Wire.Encode("/local/domain/5/data/f" + random.Next(10)), 0, .. payload];
            var reply = (random.Next(2) == 0 ? c : root).SendRaw(new Message((MessageType)random.Next(0, 30), (uint)(100000 + i), (uint)random.Next(0, 3), payload));
            Assert.NotNull(reply);
        }
        Assert.Equal("OK|", root.Write("/still/alive", "yes").Text());
        Assert.Equal("yes", root.Send(MessageType.Read, "/still/alive").Text());
    }
}
