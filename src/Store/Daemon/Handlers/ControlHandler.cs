using System.Globalization;
using System.Runtime;
using System.Text;
using XenStore.Protocol;

namespace XenStore.Daemon.Handlers;

/// <summary>CONTROL: cxenstored's commands (check, log, logfile, print, quota, quota-soft, memreport, help).</summary>
internal static class ControlHandler
{
    private static readonly (string Name, string Usage, Func<Request, List<string>, XenStoreErrorCode?> Run)[] Commands =
    [
        ("check", "", (r, _) => Ok(r)),
        ("log", "on|off", Log),
        ("logfile", "<file>", (r, a) => a.Count == 1 ? Ok(r) : XenStoreErrorCode.EINVAL),
        ("memreport", "[<file>]", MemoryReport),
        ("print", "<string>", Print),
        ("quota", "[set <name> <val>|<domid>]", (r, a) => Quota(r, a, QuotaNames.Hard)),
        ("quota-soft", "[set <name> <val>]", (r, a) => Quota(r, a, QuotaNames.Soft)),
        ("help", "", (r, _) => Text(r, Help(r))),
        ("sim-destroy", "<domid>", SimulatedDestroy),
        ("sim-create", "<domid>", SimulatedCreate),
    ];

    public static XenStoreErrorCode? Handle(Request r)
    {
        var args = r.Arguments();
        if (args.Count < 1) return XenStoreErrorCode.EINVAL;
        var command = Array.Find(Commands, c => c.Name == args[0] && Available(r, c.Name));
        return command.Run is null ? XenStoreErrorCode.EINVAL : command.Run(r, args.GetRange(1, args.Count - 1));
    }

    private static XenStoreErrorCode? Ok(Request r)
    {
        r.Ok();
        return null;
    }

    private static XenStoreErrorCode? Text(Request r, string text)
    {
        r.ReplyString(text);
        return null;
    }

    private static XenStoreErrorCode? Log(Request r, List<string> args)
    {
        if (args.Count != 1 || args[0] is not ("on" or "off")) return XenStoreErrorCode.EINVAL;
        r.Daemon.TraceEnabled = args[0] == "on";
        return Ok(r);
    }

    private static XenStoreErrorCode? Print(Request r, List<string> args)
    {
        if (args.Count < 1) return XenStoreErrorCode.EINVAL;
        r.Daemon.Trace("print: " + string.Join(' ', args));
        return Ok(r);
    }

    private static XenStoreErrorCode? MemoryReport(Request r, List<string> args)
    {
        var d = r.Daemon;
        var report = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"nodes: {d.Live.NodeCount}\n")
            .Append(CultureInfo.InvariantCulture, $"watches: {d.Watches.Count}\n")
            .Append(CultureInfo.InvariantCulture, $"domains: {d.Domains.Introduced.Count()}\n")
            .Append(CultureInfo.InvariantCulture, $"managed heap: {GC.GetTotalMemory(false)}\n")
            .Append(GcPauses.Process.Report())
            .Append(CultureInfo.InvariantCulture, $"jit: {JitInfo.GetCompiledMethodCount()} methods compiled in {JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms\n")
            .ToString();
        if (args.Count == 0) return Text(r, report);
        d.Trace(report);
        return Ok(r);
    }

    private static XenStoreErrorCode? Quota(Request r, List<string> args, QuotaNames.Entry[] table)
    {
        var quotas = r.Daemon.Quotas;
        if (args.Count == 0)
        {
            var text = new StringBuilder("Quota settings:\n");
            foreach (var e in table)
                text.Append(CultureInfo.InvariantCulture, $"{e.Name,-17}: {e.Get(quotas),8} {e.Description}\n");
            return Text(r, text.ToString());
        }
        if (args[0] == "set")
        {
            if (args.Count != 3 || QuotaNames.Find(table, args[1]) is not { } entry) return XenStoreErrorCode.EINVAL;
            var value = CParse.Atoi(args[2]);
            if (value < 1) return XenStoreErrorCode.EINVAL;
            entry.Set(quotas, value);
            return Ok(r);
        }
        if (table != QuotaNames.Hard || args.Count != 1) return XenStoreErrorCode.EINVAL;
        var domid = (uint)CParse.Atoi(args[0]);
        // cxenstored reports on the domains it keeps accounts for: the introduced ones, and
        // those that exist and own nodes (a toolstack gave them their home before INTRODUCE).
        var domains = r.Daemon.Domains;
        if (!domains.IsIntroduced(domid) && !(r.Daemon.Live.NodesOwnedBy(domid) > 0 && domains.Exists(domid)))
            return XenStoreErrorCode.ENOENT;
        return Text(r, DomainUsage(r.Daemon, domid));
    }

    private static string DomainUsage(XenStoreDaemon daemon, uint domid)
    {
        var connection = daemon.Domains.Find(domid)?.Connection;
        return new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Domain {domid}:\n")
            .Append(CultureInfo.InvariantCulture, $"{"nodes",-16}: {daemon.Live.NodesOwnedBy(domid),8}\n")
            .Append(CultureInfo.InvariantCulture, $"{"watches",-16}: {connection?.WatchCount ?? 0,8}\n")
            .Append(CultureInfo.InvariantCulture, $"{"transactions",-16}: {connection?.Transactions.Count ?? 0,8}\n")
            .Append(CultureInfo.InvariantCulture, $"{"outstanding",-16}: {connection?.PendingMessages ?? 0,8}\n")
            .Append(CultureInfo.InvariantCulture, $"{"memory",-16}: {daemon.MemoryUsedBy(domid),8}\n")
            .ToString();
    }

    private static string Help(Request r)
    {
        var text = new StringBuilder();
        foreach (var c in Commands)
            if (Available(r, c.Name)) text.Append(c.Name).Append('\t').Append(c.Usage).Append('\n');
        return text.ToString();
    }

    /// <summary>sim-destroy and sim-create exist only where the daemon plays the hypervisor too.</summary>
    private static bool Available(Request r, string command) =>
        !command.StartsWith("sim-", StringComparison.Ordinal) || r.Daemon.Options.RingPlatform is Ring.SimulatedXen;

    /// <summary>
    /// The simulated hypervisor reports that a domain is gone: an introduced one is released as
    /// Xen's VIRQ_DOM_EXC would (@releaseDomain fires); one never introduced loses its nodes
    /// without the event, as in cxenstored. The domain no longer exists (SET_PERMS may not name
    /// it) until sim-create or its next INTRODUCE. ENOENT if it is already gone.
    /// </summary>
    private static XenStoreErrorCode? SimulatedDestroy(Request r, List<string> args)
    {
        if (SimulatedDomain(args) is not { } domid) return XenStoreErrorCode.EINVAL;
        var sim = (Ring.SimulatedXen)r.Daemon.Options.RingPlatform!;
        var introduced = r.Daemon.Domains.IsIntroduced(domid);
        if (!sim.Destroy(domid) && !introduced) return XenStoreErrorCode.ENOENT;
        Ok(r);
        // A domain never introduced leaves no @releaseDomain, but nothing of it stays.
        r.Daemon.ReleaseDomain(domid, announce: introduced);
        return null;
    }

    /// <summary>The simulated hypervisor creates a domain (again): it exists, not yet introduced.</summary>
    private static XenStoreErrorCode? SimulatedCreate(Request r, List<string> args)
    {
        if (SimulatedDomain(args) is not { } domid) return XenStoreErrorCode.EINVAL;
        ((Ring.SimulatedXen)r.Daemon.Options.RingPlatform!).Create(domid);
        return Ok(r);
    }

    /// <summary>The one domid argument of sim-destroy and sim-create: 1 up to DOMID_FIRST_RESERVED.</summary>
    private static uint? SimulatedDomain(List<string> args) =>
        args.Count == 1 && CParse.TryDecimal(args[0], DomainTable.FirstReserved - 1, out var domid) && domid != 0 ? domid : null;
}
