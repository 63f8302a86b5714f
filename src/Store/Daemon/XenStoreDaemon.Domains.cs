using XenStore.Protocol;

namespace XenStore.Daemon;

public sealed partial class XenStoreDaemon
{
    /// <summary>
    /// Introduces a domain (the INTRODUCE request). A new domain fires @introduceDomain; an
    /// introduced one is reset: its connection loses watches, transactions and queued output.
    /// </summary>
    internal XenStoreErrorCode? IntroduceDomain(uint domid, ulong ringFrame, uint port)
    {
        var domain = Domains.Find(domid);
        if (domain?.Ring is { } ring)
        {
            // Re-introduction resets the connection; a guest waiting in RECONNECT is answered by the ring loop.
            ForgetConnectionState(ring.Connection);
            ring.Wake();
        }
        else if (Options.RingPlatform is { } platform && domid != 0)
        {
            try
            {
                var endpoint = platform.Attach(domid, ringFrame, port);
                domain = Domains.GetOrAdd(domid);
                var session = domain.Ring = new RingSession(this, domid, domain.Features, endpoint);
                var served = domain;
                // A refused introduction serves no ring.
                Changes.OnUndo(() =>
                {
                    served.Ring = null;
                    session.Dispose();
                });
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                Trace($"INTRODUCE {domid}: cannot attach its ring through {platform.Description}: {ex.Message}");
                return XenStoreErrorCode.ENOENT;
            }
        }
        if (Domains.Introduce(domid, ringFrame, port)) Changes.NotifySpecial(DomainTable.IntroduceWatch);
        return null;
    }

    /// <summary>
    /// Forgets a released or dead domain, fencing it first: as the change is kept, under the
    /// same hold of the lock, every connection of the domain closes (its ring, in-process
    /// guests), so no request of it runs after its nodes are gone, not even one its ring loop
    /// had already taken. An introduced domain's release fires @releaseDomain.
    /// </summary>
    internal void ReleaseDomain(uint domid, bool announce = true)
    {
        Domains.Remove(domid);
        if (guestConnections.TryGetValue(domid, out var ofDomain))
            foreach (var connection in ofDomain.ToList())
                Changes.AfterCommit(() =>
                {
                    CloseConnection(connection);
                    // Its transport learns of it as of a cut-off: EOF for in-process, the ring stops.
                    MarkOutputReady(connection);
                });
        if (announce) Changes.NotifySpecial(DomainTable.ReleaseWatch);
    }

    /// <summary>
    /// The hypervisor says some domain changed state: release the introduced domains that are
    /// gone, and fire @releaseDomain once for each newly shut down one (RESUME re-arms it). A
    /// domain that owns nodes or is named in permissions without having been introduced (a
    /// toolstack writes them first) is forgotten too once gone, without @releaseDomain, as
    /// cxenstored does. The hypervisor is asked outside the lock; what it says is applied
    /// under it.
    /// </summary>
    private void CheckDomains()
    {
        if (Options.RingPlatform is not { } platform) return;
        List<uint> known;
        lock (Sync) known = Domains.Introduced.Select(d => d.Id).Concat(Live.Owners).Concat(Domains.Named).Where(id => id != 0).Distinct().ToList();
        var states = known.Select(id => (Id: id, State: platform.QueryDomain(id))).ToList();
        OutputHold? hold = null;
        lock (Sync)
        {
            foreach (var (id, state) in states)
            {
                var domain = Domains.Find(id);
                var introduced = domain?.Introduced == true;
                switch (state)
                {
                    case Ring.DomainRunState.Gone when introduced:
                        RunChange(() => ReleaseDomain(id), ref hold);
                        break;
                    case Ring.DomainRunState.Gone when Live.NodesOwnedBy(id) > 0 || Domains.Named.Contains(id):
                        RunChange(() => ReleaseDomain(id, announce: false), ref hold);
                        break;
                    case Ring.DomainRunState.Shutdown when introduced && !domain!.ShutdownReported:
                        domain.ShutdownReported = true;
                        RunChange(() => Changes.NotifySpecial(DomainTable.ReleaseWatch), ref hold);
                        break;
                }
            }
        }
        Release(hold);
        NotifyOutputReady();
    }

    /// <summary>The connection serving domain <paramref name="domid"/>'s ring, if any.</summary>
    public DaemonConnection? DomainConnection(uint domid)
    {
        lock (Sync) return Domains.Find(domid)?.Connection;
    }

    /// <summary>Domains currently introduced (dom0 not included).</summary>
    public IReadOnlyList<uint> IntroducedDomains
    {
        get { lock (Sync) return Domains.Introduced.Select(d => d.Id).Where(id => id != 0).ToList(); }
    }
}
