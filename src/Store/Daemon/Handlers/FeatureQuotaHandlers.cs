using System.Globalization;
using XenStore.Protocol;

namespace XenStore.Daemon.Handlers;

/// <summary>GET_FEATURE, SET_FEATURE, GET_QUOTA and SET_QUOTA (Xen 4.21+ messages, protocol §13).</summary>
internal static class FeatureQuotaHandlers
{
    /// <summary>Ring features this daemon supports: RECONNECTION and ERROR.</summary>
    public const uint SupportedFeatures = 1 | 2;

    public static XenStoreErrorCode? GetFeature(Request r)
    {
        var args = NonEmpty(r.Arguments());
        uint features;
        if (args.Count == 0) features = r.Privileged ? SupportedFeatures : r.Daemon.Domains.Find(r.Connection.DomainId)?.Features ?? SupportedFeatures;
        else if (!r.Privileged) return XenStoreErrorCode.EACCES;
        else if (args.Count != 1 || !CParse.TryDecimal(args[0], DomainTable.FirstReserved - 1, out var domid)) return XenStoreErrorCode.EINVAL;
        else features = r.Daemon.Domains.Find(domid)?.Features ?? SupportedFeatures;
        r.ReplyString(features.ToString(CultureInfo.InvariantCulture));
        return null;
    }

    public static XenStoreErrorCode? SetFeature(Request r)
    {
        var args = r.Arguments();
        if (args.Count != 2 || !CParse.TryDecimal(args[0], uint.MaxValue, out var domid) || !CParse.TryDecimal(args[1], uint.MaxValue, out var mask))
            return XenStoreErrorCode.EINVAL;
        if (domid >= DomainTable.FirstReserved) return XenStoreErrorCode.ENOENT;
        if ((mask & ~SupportedFeatures) != 0) return XenStoreErrorCode.EINVAL;
        var domain = r.Daemon.Domains.GetOrAdd(domid);
        if (domain.Introduced) return XenStoreErrorCode.EBUSY;
        domain.Features = mask;
        r.Ok();
        return null;
    }

    public static XenStoreErrorCode? GetQuota(Request r)
    {
        var args = NonEmpty(r.Arguments());
        if (args.Count == 0)
        {
            r.ReplyString(QuotaNames.WireNames());
            return null;
        }
        if (!TargetQuotas(r, args, out var quotas, out var name)) return XenStoreErrorCode.ENOENT;
        if (QuotaNames.FindWire(name) is not { } entry) return XenStoreErrorCode.EINVAL;
        r.ReplyString(entry.Get(quotas).ToString(CultureInfo.InvariantCulture));
        return null;
    }

    public static XenStoreErrorCode? SetQuota(Request r)
    {
        var args = r.Arguments();
        if (args.Count is < 2 or > 3) return XenStoreErrorCode.EINVAL;
        if (!CParse.TryDecimal(args[^1], int.MaxValue, out var value)) return XenStoreErrorCode.EINVAL;
        if (!TargetQuotas(r, args.GetRange(0, args.Count - 1), out var quotas, out var name)) return XenStoreErrorCode.ENOENT;
        if (QuotaNames.FindWire(name) is not { } entry) return XenStoreErrorCode.EINVAL;
        entry.Set(quotas, (int)value);
        r.Ok();
        return null;
    }

    /// <summary>"name" addresses the global defaults; "domid, name" one introduced domain's quotas.</summary>
    private static bool TargetQuotas(Request r, List<string> args, out QuotaSettings quotas, out string name)
    {
        name = args[^1];
        quotas = r.Daemon.Quotas;
        if (args.Count == 1) return true;
        if (!CParse.TryDecimal(args[0], DomainTable.FirstReserved - 1, out var domid) || !r.Daemon.Domains.IsIntroduced(domid)) return false;
        quotas = r.Daemon.Domains.GetOrAdd(domid).Quotas;
        return true;
    }

    private static List<string> NonEmpty(List<string> args) => args.Count == 1 && args[0].Length == 0 ? [] : args;
}
