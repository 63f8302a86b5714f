using System.Globalization;
using System.Text;
using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// The store as dom0 sees it over the protocol must agree with itself: CONTROL check
/// passes, every listed child can be read and has a valid permission list, and the daemon's
/// own counts (memreport's nodes, each introduced domain's node quota usage) match a walk.
/// </summary>
internal static class StoreConsistency
{
    public static void Check(XenStoreDaemon daemon, Probe probe)
    {
        probe.Must(MessageType.Control, "check");
        var owners = new Dictionary<uint, int>();
        var total = Walk(probe, "/", owners);

        var report = Wire.Decode(probe.Must(MessageType.Control, "memreport").Payload);
        Fuzz.Check.That(Counter(report, "nodes:") == total, $"memreport's node count is the walk's {total}:\n{report}");
        foreach (var domid in daemon.IntroducedDomains)
        {
            var usage = probe.Ask(MessageType.Control, "quota", domid.ToString(CultureInfo.InvariantCulture));
            if (usage.Type == MessageType.Error) continue;
            var text = Wire.Decode(usage.Payload);
            Fuzz.Check.That(Counter(text, "nodes") == owners.GetValueOrDefault(domid),
                $"domain {domid}'s node usage is the {owners.GetValueOrDefault(domid)} nodes it owns:\n{text}");
        }
    }

    /// <summary>Counts the nodes at and below <paramref name="path"/>, by owner too.</summary>
    /// <summary>
    /// Every node as dom0 sees it, one line each (path, value, permissions), in listing order:
    /// two stores with the same dump hold the same nodes. The walk checks what it reads.
    /// </summary>
    public static string Dump(Probe probe)
    {
        var text = new StringBuilder();
        Walk(probe, "/", [], (path, value, permissions) =>
            text.Append(path).Append('=').Append(Convert.ToHexString(value)).Append(' ').Append(permissions).Append('\n'));
        return text.ToString();
    }

    /// <summary>
    /// Counts the nodes at and below <paramref name="path"/>, by owner too, and shows each one
    /// (path, value, permissions) to <paramref name="visit"/>.
    /// </summary>
    private static int Walk(Probe probe, string path, Dictionary<uint, int> owners, Action<string, byte[], PermissionList>? visit = null)
    {
        var read = probe.Ask(MessageType.Read, path);
        Fuzz.Check.That(read.Type == MessageType.Read, $"a listed node can be read: {path} ({read})");
        var perms = probe.Must(MessageType.GetPerms, path);
        var entries = Payloads.Split(perms.Payload);
        Fuzz.Check.That(PermissionList.TryParse(entries, out var list), $"{path} has a valid permission list ({perms})");
        owners[list!.Owner] = owners.GetValueOrDefault(list.Owner) + 1;
        visit?.Invoke(path, read.Payload, list);
        var count = 1;
        foreach (var child in Children(probe, path))
        {
            Fuzz.Check.That(child.Length > 0 && !child.Contains('/'), $"{path} lists a child name that is one component: '{child}'");
            count += Walk(probe, XenStorePath.Combine(path, child), owners, visit);
        }
        return count;
    }

    /// <summary>DIRECTORY, or DIRECTORY_PART piece by piece when the list is over the payload limit.</summary>
    private static List<string> Children(Probe probe, string path)
    {
        var reply = probe.Ask(MessageType.Directory, path);
        if (reply.Type == MessageType.Directory) return Payloads.Split(reply.Payload);
        Fuzz.Check.That(Wire.Decode(reply.Payload) == "E2BIG\0", $"DIRECTORY of an existing node fails only for size ({reply})");
        var children = new List<string>();
        for (var offset = 0; ;)
        {
            var part = probe.Must(MessageType.DirectoryPart, path, offset.ToString(CultureInfo.InvariantCulture)).Payload;
            var names = part.AsSpan(Array.IndexOf(part, (byte)0) + 1);
            // The last piece ends with an extra NUL (an empty name) after the last name's.
            var atEnd = names.Length == 1 || names.EndsWith("\0\0"u8);
            if (atEnd) names = names[..^1];
            Fuzz.Check.That(atEnd || names.Length > 0, $"DIRECTORY_PART of {path} makes progress at {offset}");
            children.AddRange(Payloads.Split(names));
            offset += names.Length;
            if (atEnd) return children;
        }
    }

    /// <summary>The number after <paramref name="label"/> in a CONTROL report ("nodes:  12").</summary>
    private static int Counter(string report, string label)
    {
        foreach (var line in report.Split('\n'))
        {
            if (!line.StartsWith(label, StringComparison.Ordinal)) continue;
            var value = line[(line.IndexOf(':') + 1)..].Trim();
            return int.Parse(value, CultureInfo.InvariantCulture);
        }
        throw new FuzzInvariantException($"no '{label}' in the report:\n{report}");
    }
}
