using System.Buffers;
using System.Globalization;

namespace XenStore.Protocol;

/// <summary>
/// Path syntax of XenStore: validation and canonicalisation exactly as the C daemon does it
/// (charset, no "//", no trailing "/", relative paths under the caller's domain home, and the
/// path-max rule that counts only the part after "/local/domain/&lt;n&gt;/").
/// </summary>
public static class XenStorePath
{
    /// <summary>Documented maximum of an absolute path (XENSTORE_ABS_PATH_MAX).</summary>
    public const int AbsoluteMax = 3072;

    /// <summary>Documented maximum of a relative path (XENSTORE_REL_PATH_MAX).</summary>
    public const int RelativeMax = 2048;

    /// <summary>The daemon's default path-max quota.</summary>
    public const int DefaultPathMax = 2048;

    /// <summary>Largest special watch name ("@...").</summary>
    public const int SpecialMax = 2048;

    /// <summary>The home of a domain, where its relative paths point.</summary>
    public static string DomainHome(uint domid) => DomainHomes + domid;

    /// <summary>Where the domains' homes are.</summary>
    private const string DomainHomes = "/local/domain/";

    /// <summary>True for the names reserved to special watches, such as "@releaseDomain".</summary>
    public static bool IsSpecial(string path) => path.Length > 0 && path[0] == '@';

    /// <summary>True for the bytes the C daemon allows in a path.</summary>
    public static bool IsValidChar(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '/' or '_' or '@';

    /// <summary>
    /// Turns a request path into its absolute form for domain <paramref name="domid"/> and
    /// validates it; false (the caller answers EINVAL) when it is not a valid node path.
    /// </summary>
    public static bool TryCanonicalize(string path, uint domid, int pathMax, out string canonical)
    {
        canonical = path.Length > 0 && path[0] == '/' ? path : DomainHome(domid) + "/" + path;
        return IsValidAbsolute(canonical, pathMax);
    }

    /// <summary>
    /// <see cref="TryCanonicalize(string, uint, int, out string)"/> of a path still in wire
    /// bytes. The canonical path is made as one string: decoding the path, then joining a
    /// relative one to its domain's home, made four (a guest's paths are mostly relative).
    /// </summary>
    internal static bool TryCanonicalize(ReadOnlySpan<byte> path, uint domid, int pathMax, out string canonical)
    {
        canonical = path.Length > 0 && path[0] == '/' ? Wire.Decode(path) : InDomainHome(domid, path);
        return IsValidAbsolute(canonical, pathMax);
    }

    /// <summary>"/local/domain/&lt;domid&gt;/" followed by <paramref name="relative"/>, made in one string.</summary>
    private static string InDomainHome(uint domid, ReadOnlySpan<byte> relative)
    {
        var length = DomainHomes.Length + 10 + 1 + relative.Length;
        char[]? rented = null;
        var chars = length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(length));
        DomainHomes.CopyTo(chars);
        domid.TryFormat(chars[DomainHomes.Length..], out var digits, default, CultureInfo.InvariantCulture);
        var at = DomainHomes.Length + digits;
        chars[at++] = '/';
        at += Wire.Encoding.GetChars(relative, chars[at..]);
        var joined = new string(chars[..at]);
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        return joined;
    }

    /// <summary>Validates an absolute path against the charset, shape and length rules.</summary>
    public static bool IsValidAbsolute(string path, int pathMax = DefaultPathMax)
    {
        if (path.Length == 0 || path[0] != '/') return false;
        if (path.Length > 1 && path[^1] == '/') return false;
        if (path.Contains("//", StringComparison.Ordinal)) return false;
        if (pathMax > 0 && path.Length - LocalDomainPrefixLength(path) > pathMax) return false;
        foreach (var c in path)
            if (!IsValidChar(c)) return false;
        return true;
    }

    /// <summary>
    /// Length of a leading "/local/domain/&lt;up to 5 digits&gt;/", or 0: the C daemon does not
    /// count that prefix against path-max, so every domain gets the same room below its home.
    /// </summary>
    public static int LocalDomainPrefixLength(string path)
    {
        if (!path.StartsWith(DomainHomes, StringComparison.Ordinal)) return 0;
        var i = DomainHomes.Length;
        var digits = 0;
        while (i < path.Length && digits < 5 && char.IsAsciiDigit(path[i]))
        {
            i++;
            digits++;
        }
        return digits > 0 && i < path.Length && path[i] == '/' ? i + 1 : 0;
    }

    /// <summary>The parent of an absolute path ("/a/b" → "/a", "/a" → "/").</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>The last component of an absolute path ("" for "/").</summary>
    public static string Name(string path) => path.Length <= 1 ? "" : path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Joins a parent path and a child name.</summary>
    public static string Combine(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool IsAtOrBelow(string path, string ancestor) =>
        ancestor == "/" ||
        path.Length >= ancestor.Length && path.StartsWith(ancestor, StringComparison.Ordinal) &&
        (path.Length == ancestor.Length || path[ancestor.Length] == '/');

    /// <summary>
    /// The path as a watch registered relatively by <paramref name="domid"/> sees it: the
    /// domain home prefix is stripped again.
    /// </summary>
    public static string ToRelative(string path, uint domid)
    {
        // Compared in place: every event of a relative watch passes here, and the home's
        // string, made to be compared, was most of the garbage it made.
        Span<char> digits = stackalloc char[10];
        domid.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
        var prefix = DomainHomes.Length + length + 1;
        var under = path.Length >= prefix && path.StartsWith(DomainHomes, StringComparison.Ordinal)
            && path.AsSpan(DomainHomes.Length, length).SequenceEqual(digits[..length]) && path[prefix - 1] == '/';
        return under ? path[prefix..] : path;
    }

    /// <summary>Splits an absolute path into components ("/" has none).</summary>
    public static string[] Components(string path) =>
        path == "/" ? [] : path[1..].Split('/');
}
