namespace XenStore.PowerShell;

/// <summary>
/// Lexical path handling for the provider. The engine's base implementations compare paths
/// case-insensitively and probe the store to split them; XenStore paths are case-sensitive
/// and a node name can never contain a separator, so everything here is pure string work
/// and costs no round trip.
/// <para>
/// A provider path names a node and the store it lives in, so that an item's PSPath resolves
/// back to the same node from any location (piped into Remove-Item, say):
/// <c>/local/domain/0</c> is a node of the session's default store (the one xs: mounts), and
/// <c>//px/local/domain/0</c> a node of the store that drive px: connected to on its own,
/// the way <c>\\server\share\dir</c> names a file on another machine.
/// </para>
/// </summary>
public static class ProviderPath
{
    /// <summary>Where the store part of a qualified path begins: after "//name".</summary>
    private static int StoreStart(string normalized)
    {
        if (!normalized.StartsWith("//", StringComparison.Ordinal)) return 0;
        var slash = normalized.IndexOf('/', 2);
        return slash < 0 ? normalized.Length : slash;
    }

    private static string Normalize(string? path) => (path ?? "").Replace('\\', '/');

    /// <summary>
    /// The store prefix of a provider path: "" for the default store, "//px" for drive px's.
    /// </summary>
    public static string StorePrefix(string? path)
    {
        var normalized = Normalize(path);
        return normalized[..StoreStart(normalized)];
    }

    /// <summary>The provider path of a XenStore path in the store with <paramref name="prefix"/>.</summary>
    public static string FromStorePath(string storePath, string prefix = "") => prefix + storePath;

    /// <summary>
    /// The XenStore path for a provider path: the store prefix dropped, '\' accepted as '/',
    /// doubled and trailing separators dropped, always absolute ("" and "/" are the root).
    /// </summary>
    public static string ToStorePath(string? path)
    {
        var normalized = Normalize(path);
        // '.' is not a XenStore name character, so "." and ".." can only mean here and up.
        var parts = new List<string>();
        foreach (var part in normalized[StoreStart(normalized)..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// Joins parent and child with one '/'. With no child the parent keeps a trailing '/', as
    /// the FileSystem provider's does: the engine takes a path equal to the drive's root
    /// without one for "..\rootname", which leads out of a drive rooted below /.
    /// </summary>
    public static string Join(string parent, string child)
    {
        parent = Normalize(parent);
        child = Normalize(child);
        if (parent.Length == 0) return child;
        if (child.Length == 0) return parent.EndsWith('/') ? parent : parent + "/";
        return parent.TrimEnd('/') + "/" + child.TrimStart('/');
    }

    /// <summary>
    /// The parent of a path, or "" at a store's root or at the drive's <paramref name="root"/>
    /// (the engine walks up with this until it reaches the root). Lexical: the engine builds
    /// paths such as /local/domain/0/../0 for a drive's root and expects them taken apart
    /// component by component; compared ordinally so /Local and /local stay different nodes.
    /// </summary>
    public static string Parent(string path, string? root)
    {
        var (prefix, parts) = Components(path);
        if (parts.Length == 0) return "";
        if (!string.IsNullOrEmpty(root))
        {
            var (rootPrefix, rootParts) = Components(root);
            if (rootPrefix == prefix && rootParts.SequenceEqual(parts, StringComparer.Ordinal)) return "";
        }
        return prefix + "/" + string.Join('/', parts[..^1]);
    }

    /// <summary>The last component of a path ("" for a store's root, which has no name).</summary>
    public static string ChildName(string path)
    {
        var (_, parts) = Components(path);
        return parts.Length == 0 ? "" : parts[^1];
    }

    private static (string Prefix, string[] Parts) Components(string path)
    {
        var normalized = Normalize(path);
        var start = StoreStart(normalized);
        return (normalized[..start], normalized[start..].Split('/', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// <paramref name="path"/> relative to <paramref name="basePath"/>, with ".." where it is
    /// outside it (Resolve-Path -Relative, and the globber's relative paths). With no base, the
    /// path itself, normalized.
    /// </summary>
    public static string Relative(string path, string basePath)
    {
        if (string.IsNullOrEmpty(basePath)) return FromStorePath(ToStorePath(path), StorePrefix(path));
        var target = ToStorePath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var from = ToStorePath(basePath).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var common = 0;
        while (common < target.Length && common < from.Length && string.Equals(target[common], from[common], StringComparison.Ordinal)) common++;
        var up = Enumerable.Repeat("..", from.Length - common);
        return string.Join('/', up.Concat(target.Skip(common)));
    }
}
