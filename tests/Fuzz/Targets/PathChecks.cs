using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>What must hold of any string the path rules accept, for dom0 and for a guest.</summary>
internal static class PathChecks
{
    private static readonly uint[] Domains = [0, 5];

    public static void Run(string raw)
    {
        _ = XenStorePath.IsSpecial(raw);
        foreach (var domid in Domains)
        {
            if (!XenStorePath.TryCanonicalize(raw, domid, XenStorePath.DefaultPathMax, out var path)) continue;
            Check.That(XenStorePath.IsValidAbsolute(path), "a canonical path is a valid absolute path");
            Check.That(XenStorePath.LocalDomainPrefixLength(path) <= path.Length, "the domain prefix lies within the path");
            if (raw.Length == 0 || raw[0] != '/')
                Check.That(XenStorePath.ToRelative(path, domid) == raw, "a relative path comes back from its canonical form");
            if (path == "/")
            {
                Check.That(XenStorePath.Components(path).Length == 0, "the root has no components");
                continue;
            }
            var parent = XenStorePath.Parent(path);
            var name = XenStorePath.Name(path);
            Check.That(name.Length > 0 && !name.Contains('/'), "a node's name is one non-empty component");
            Check.That(XenStorePath.Combine(parent, name) == path, "parent and name combine back to the path");
            Check.That(XenStorePath.IsValidAbsolute(parent, pathMax: 0), "the parent of a valid path is valid");
            Check.That(XenStorePath.IsAtOrBelow(path, parent) && !XenStorePath.IsAtOrBelow(parent, path), "a path lies strictly below its parent");
            Check.That("/" + string.Join('/', XenStorePath.Components(path)) == path, "the components join back to the path");
        }
    }
}
