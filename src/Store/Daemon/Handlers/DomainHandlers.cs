using System.Globalization;
using XenStore.Protocol;

namespace XenStore.Daemon.Handlers;

/// <summary>INTRODUCE, RELEASE, IS_DOMAIN_INTRODUCED, RESUME, SET_TARGET and GET_DOMAIN_PATH.</summary>
internal static class DomainHandlers
{
    public static XenStoreErrorCode? Introduce(Request r)
    {
        var args = r.Arguments();
        if (args.Count < 3) return XenStoreErrorCode.EINVAL;
        var domid = CParse.Atoi(args[0]);
        var port = CParse.Atoi(args[2]);
        // Reserved ids (DOMID_SELF and up) are never real domains.
        if (port <= 0 || domid < 0 || (uint)domid >= DomainTable.FirstReserved) return XenStoreErrorCode.EINVAL;
        ulong.TryParse(args[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var frame);
        if (r.Daemon.IntroduceDomain((uint)domid, frame, (uint)port) is { } refused) return refused;
        // A simulated guest that is served again exists again, even after sim-destroy.
        (r.Daemon.Options.RingPlatform as Ring.SimulatedXen)?.Create((uint)domid);
        r.Ok();
        return null;
    }

    public static XenStoreErrorCode? Release(Request r)
    {
        if (DomainArgument(r) is not { } domid) return XenStoreErrorCode.EINVAL;
        if (domid == 0) return XenStoreErrorCode.EINVAL;
        if (!r.Daemon.Domains.IsIntroduced(domid)) return XenStoreErrorCode.ENOENT;
        // cxenstored acknowledges first; the domain's cleanup (and @releaseDomain) follows.
        r.Ok();
        r.Daemon.ReleaseDomain(domid);
        return null;
    }

    public static XenStoreErrorCode? IsIntroduced(Request r)
    {
        if (DomainArgument(r) is not { } domid) return XenStoreErrorCode.EINVAL;
        var introduced = domid == DomainTable.FirstReserved || r.Daemon.Domains.IsIntroduced(domid);
        r.ReplyString(introduced ? "T" : "F");
        return null;
    }

    public static XenStoreErrorCode? Resume(Request r)
    {
        if (DomainArgument(r) is not { } domid) return XenStoreErrorCode.EINVAL;
        if (domid == 0) return XenStoreErrorCode.EINVAL;
        if (!r.Daemon.Domains.IsIntroduced(domid)) return XenStoreErrorCode.ENOENT;
        r.Daemon.Domains.Find(domid)!.ShutdownReported = false;
        r.Ok();
        return null;
    }

    public static XenStoreErrorCode? SetTarget(Request r)
    {
        var args = r.Arguments();
        if (args.Count != 2) return XenStoreErrorCode.EINVAL;
        var domid = (uint)CParse.Atoi(args[0]);
        var target = (uint)CParse.Atoi(args[1]);
        var domains = r.Daemon.Domains;
        if (!domains.IsIntroduced(domid) || !domains.IsIntroduced(target)) return XenStoreErrorCode.ENOENT;
        domains.SetTarget(domid, target);
        r.Ok();
        return null;
    }

    /// <summary>Pure formatting, open to everyone; the domid must be a decimal 0–65535.</summary>
    public static XenStoreErrorCode? GetDomainPath(Request r)
    {
        if (r.SingleArgument() is not { } raw || !CParse.TryDecimal(raw, 65535, out var domid)) return XenStoreErrorCode.EINVAL;
        r.ReplyString(XenStorePath.DomainHome(domid));
        return null;
    }

    private static uint? DomainArgument(Request r) => r.SingleArgument() is { } raw ? (uint)CParse.Atoi(raw) : null;
}
