namespace XenStore.Tree;

/// <summary>
/// Shares the text of short node names and the bytes of short values between nodes. A host's
/// store repeats them endlessly ("state", "backend-id", "ring-ref", "1", "4", "vif" in every
/// domain), and each copy costs an object of 32 bytes or more. The pool is a fixed table of
/// slots, one per hash, whose occupant is replaced by the newest arrival on a miss: it never
/// grows and holds nothing a guest could pile up, so unlike string.Intern it needs no quota.
/// Shared arrays are never written: a node's value is immutable once the node exists.
/// </summary>
internal static class InternPool
{
    /// <summary>Longest name or value shared: longer ones are rarely repeated.</summary>
    public const int MaxLength = 32;

    private const int Slots = 1 << 14;

    private static readonly string?[] names = new string?[Slots];
    private static readonly byte[]?[] values = new byte[]?[Slots];

    /// <summary>The pool's string with <paramref name="name"/>'s text, or <paramref name="name"/> itself (now pooled).</summary>
    public static string Name(string name)
    {
        if (name.Length > MaxLength) return name;
        ref var slot = ref names[string.GetHashCode(name) & (Slots - 1)];
        var known = Volatile.Read(ref slot);
        if (known is not null && string.Equals(known, name, StringComparison.Ordinal)) return known;
        Volatile.Write(ref slot, name);
        return name;
    }

    /// <summary>The pool's array with <paramref name="value"/>'s bytes, or <paramref name="value"/> itself (now pooled).</summary>
    public static byte[] Value(byte[] value)
    {
        if (value.Length == 0) return [];
        if (value.Length > MaxLength) return value;
        var hash = new HashCode();
        hash.AddBytes(value);
        ref var slot = ref values[hash.ToHashCode() & (Slots - 1)];
        var known = Volatile.Read(ref slot);
        if (known is not null && known.AsSpan().SequenceEqual(value)) return known;
        Volatile.Write(ref slot, value);
        return value;
    }
}
