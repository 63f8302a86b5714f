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
        var existing = Domains.Find(domid);
        if (existing?.Introduced == true && existing.Connection is { } connection)
        {
            Watches.RemoveAll(connection);
            connection.Transactions.Clear();
            connection.Output.Clear();
        }
        if (Domains.Introduce(domid, ringFrame, port)) FireSpecial(DomainTable.IntroduceWatch);
        return null;
    }

    /// <summary>Forgets a released or destroyed domain and fires @releaseDomain.</summary>
    internal void ReleaseDomain(uint domid)
    {
        Domains.Remove(domid);
        FireSpecial(DomainTable.ReleaseWatch);
    }

    /// <summary>Domains currently introduced (dom0 not included).</summary>
    public IReadOnlyList<uint> IntroducedDomains
    {
        get { lock (Sync) return Domains.Introduced.Select(d => d.Id).Where(id => id != 0).ToList(); }
    }
}
