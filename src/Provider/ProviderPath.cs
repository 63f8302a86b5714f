namespace XenStore.PowerShell;

/// <summary>
/// Lexical path handling for the provider. The engine's base implementations compare paths
/// case-insensitively and probe the store to split them; XenStore paths are case-sensitive
/// and a node name can never contain a separator, so everything here is pure string work
/// and costs no round trip.
/// Provider paths carry no leading '/' ("local/domain/0", the root is ""): on Unix the engine
/// takes any path that starts with '/' for a file system path and would never qualify it
/// with the drive. XenStore paths are the same with the '/' in front.
/// </summary>
public static class ProviderPath
{
    /// <summary>The provider path of a XenStore path ("/local/domain" → "local/domain", "/" → "").</summary>
    public static string FromStorePath(string storePath) => storePath.TrimStart('/');

    /// <summary>
    /// The XenStore path for a provider path: '\' accepted as '/', doubled and trailing
    /// separators dropped, always absolute ("" and "/" are the root).
    /// </summary>
    public static string ToStorePath(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "/";
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        return "/" + string.Join('/', parts);
    }

    /// <summary>Joins parent and child with one '/', keeping the parent's leading form.</summary>
    public static string Join(string parent, string child)
    {
        parent = parent.Replace('\\', '/');
        child = child.Replace('\\', '/');
        if (parent.Length == 0) return child;
        if (child.Length == 0) return parent;
        return parent.TrimEnd('/') + "/" + child.TrimStart('/');
    }

    /// <summary>
    /// The parent of a path, or "" at the root (or at <paramref name="root"/>), compared
    /// ordinally so that /Local and /local stay different nodes.
    /// </summary>
    public static string Parent(string path, string? root)
    {
        var normalized = path.Replace('\\', '/').TrimEnd('/');
        if (normalized.Length == 0) return "";
        if (!string.IsNullOrEmpty(root) && string.Equals(normalized, root.Replace('\\', '/').TrimEnd('/'), StringComparison.Ordinal)) return "";
        var slash = normalized.LastIndexOf('/');
        if (slash < 0) return "";
        return slash == 0 ? "/" : normalized[..slash];
    }

    /// <summary>The last component of a path ("/" for the root itself).</summary>
    public static string ChildName(string path)
    {
        var normalized = path.Replace('\\', '/').TrimEnd('/');
        if (normalized.Length == 0) return path.Length > 0 ? "/" : "";
        var slash = normalized.LastIndexOf('/');
        return slash < 0 ? normalized : normalized[(slash + 1)..];
    }

    /// <summary>
    /// <paramref name="path"/> relative to <paramref name="basePath"/>, with ".." where it is
    /// outside it (Resolve-Path -Relative, and the globber's relative paths).
    /// </summary>
    public static string Relative(string path, string basePath)
    {
        var target = ToStorePath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var from = ToStorePath(basePath).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var common = 0;
        while (common < target.Length && common < from.Length && string.Equals(target[common], from[common], StringComparison.Ordinal)) common++;
        var up = Enumerable.Repeat("..", from.Length - common);
        return string.Join('/', up.Concat(target.Skip(common)));
    }
}
