using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace XenStore.Protocol;

/// <summary>Access granted by a permission entry.</summary>
[Flags]
public enum PermissionAccess
{
    /// <summary>"n": no access.</summary>
    None = 0,
    /// <summary>"r": may read.</summary>
    Read = 1,
    /// <summary>"w": may write.</summary>
    Write = 2,
    /// <summary>"b": may read and write.</summary>
    Both = Read | Write,
}

/// <summary>One permission entry, e.g. "r5": the letter and the domain it names.</summary>
[SuppressMessage("Naming", "CA1711", Justification = "A permission entry is what the XenStore protocol calls it.")]
public readonly record struct Permission(uint DomainId, PermissionAccess Access)
{
    /// <summary>Largest domid accepted in a permission string.</summary>
    public const uint MaxDomainId = 65535;

    /// <summary>The letter of an access value: n, r, w or b.</summary>
    public static char Letter(PermissionAccess access) => access switch
    {
        PermissionAccess.Read => 'r',
        PermissionAccess.Write => 'w',
        PermissionAccess.Both => 'b',
        _ => 'n',
    };

    /// <summary>Parses "r5", "b0", "n0x10"; false for anything else.</summary>
    public static bool TryParse(string text, out Permission permission)
    {
        permission = default;
        if (text.Length < 2) return false;
        PermissionAccess access;
        switch (text[0])
        {
            case 'r': access = PermissionAccess.Read; break;
            case 'w': access = PermissionAccess.Write; break;
            case 'b': access = PermissionAccess.Both; break;
            case 'n': access = PermissionAccess.None; break;
            default: return false;
        }
        var number = text.AsSpan(1);
        uint id;
        // The C daemon parses with strtol(…, 0): accept the 0x form it accepts too.
        var ok = number.StartsWith("0x") || number.StartsWith("0X")
            ? uint.TryParse(number[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id)
            : uint.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out id);
        if (!ok || id > MaxDomainId) return false;
        permission = new Permission(id, access);
        return true;
    }

    /// <summary>The entry as on the wire, e.g. "r5".</summary>
    public override string ToString() => Letter(Access) + DomainId.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A node's permission list: the first entry names the owner and the access of everyone
/// without an entry of their own; later entries grant their letter to one domain each.
/// Immutable and shared between nodes; the wire form is cached.
/// </summary>
public sealed class PermissionList : IEquatable<PermissionList>
{
    /// <summary>Marks an ignored entry in <see cref="ToPersistedString"/>; no wire entry starts with it.</summary>
    private const char IgnoredMark = '!';

    private byte[]? wire;

    /// <summary>
    /// Per entry, whether a daemon keeps it without honouring it (null when none is): an entry
    /// that named a domain which did not exist when the list was set (cxenstored's
    /// XS_PERM_IGNORE). Shown by GET_PERMS, never granted, so a domain created later with that
    /// id gains nothing from it.
    /// </summary>
    private bool[]? ignored;

    /// <summary>A list of these entries (copied); the first names the owner.</summary>
    public PermissionList(IReadOnlyList<Permission> entries)
    {
        if (entries.Count == 0) throw new ArgumentException("A permission list needs at least the owner entry.", nameof(entries));
        Entries = entries.ToArray();
    }

    /// <summary>"n0": owned by dom0, nobody else may access. The root's permissions.</summary>
    public static PermissionList Dom0Only { get; } = new([new Permission(0, PermissionAccess.None)]);

    /// <summary>The entries, owner first.</summary>
    public IReadOnlyList<Permission> Entries { get; }

    /// <summary>The owner domain (first entry).</summary>
    public uint Owner => Entries[0].DomainId;

    /// <summary>True when entry <paramref name="index"/> is kept but not honoured (see <see cref="WithIgnoredEntries"/>).</summary>
    internal bool IsIgnored(int index) => ignored is { } flags && flags[index];

    /// <summary>
    /// The same entries, those after the owner that name a domain <paramref name="exists"/>
    /// denies marked ignored; this list when there are none.
    /// </summary>
    internal PermissionList WithIgnoredEntries(Func<uint, bool> exists)
    {
        bool[]? flags = null;
        for (var i = 1; i < Entries.Count; i++)
            if (!exists(Entries[i].DomainId))
            {
                flags ??= new bool[Entries.Count];
                flags[i] = true;
            }
        return flags is null ? this : new PermissionList(Entries) { ignored = flags };
    }

    /// <summary>The entries as <see cref="ToString"/> writes them, ignored ones marked, as a journal keeps them.</summary>
    internal string ToPersistedString() =>
        string.Join(' ', Entries.Select((e, i) => IsIgnored(i) ? IgnoredMark + e.ToString() : e.ToString()));

    /// <summary>Reads what <see cref="ToPersistedString"/> wrote (or a plain list).</summary>
    internal static PermissionList ParsePersisted(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var flags = parts.Select(p => p.StartsWith(IgnoredMark)).ToArray();
        var list = Parse(string.Join(' ', parts.Select(p => p.TrimStart(IgnoredMark))));
        if (flags.Contains(true)) list.ignored = flags;
        return list;
    }

    /// <summary>The entries as NUL-terminated strings, the GET_PERMS reply payload.</summary>
    public byte[] ToWire() => wire ??= Payloads.Strings(Entries.Select(e => e.ToString()).ToArray());

    /// <summary>Parses entries; false when any is malformed or there are none.</summary>
    public static bool TryParse(IReadOnlyList<string> texts, out PermissionList? list)
    {
        list = null;
        if (texts.Count == 0) return false;
        var entries = new Permission[texts.Count];
        for (var i = 0; i < texts.Count; i++)
            if (!Permission.TryParse(texts[i], out entries[i])) return false;
        list = new PermissionList(entries);
        return true;
    }

    /// <summary>Parses a space- or comma-separated list such as "n0 r5".</summary>
    public static PermissionList Parse(string text)
    {
        var parts = text.Split([' ', ',', '\0'], StringSplitOptions.RemoveEmptyEntries);
        return TryParse(parts, out var list) ? list! : throw new FormatException($"Invalid XenStore permission list '{text}'.");
    }

    /// <summary>The same entries with the owner replaced (implicit creation by a guest).</summary>
    public PermissionList WithOwner(uint owner)
    {
        if (Owner == owner) return this;
        var entries = Entries.ToArray();
        entries[0] = entries[0] with { DomainId = owner };
        return new PermissionList(entries) { ignored = ignored };
    }

    /// <summary>The list without the non-owner entries naming <paramref name="domid"/>, or this list if none do.</summary>
    public PermissionList WithoutDomain(uint domid)
    {
        if (!Entries.Skip(1).Any(e => e.DomainId == domid)) return this;
        var kept = Enumerable.Range(0, Entries.Count).Where(i => i == 0 || Entries[i].DomainId != domid).ToList();
        var flags = kept.Select(IsIgnored).ToArray();
        return new PermissionList(kept.Select(i => Entries[i]).ToList()) { ignored = flags.Contains(true) ? flags : null };
    }

    /// <summary>Same entries in the same order, ignored alike.</summary>
    public bool Equals(PermissionList? other) =>
        other is not null && Entries.SequenceEqual(other.Entries)
        && Enumerable.Range(0, Entries.Count).All(i => IsIgnored(i) == other.IsIgnored(i));
    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PermissionList);
    /// <inheritdoc/>
    public override int GetHashCode() => Entries.Aggregate(17, (h, e) => h * 31 + e.GetHashCode());

    /// <summary>The entries separated by spaces, e.g. "n0 r5", as <see cref="Parse"/> reads them.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var e in Entries)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(e.ToString());
        }
        return sb.ToString();
    }
}
