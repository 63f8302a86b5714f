namespace XenStore.Tree;

/// <summary>
/// Shares the text of short node names and the bytes of short values between nodes. A host's
/// store repeats them endlessly ("state", "backend-id", "ring-ref", "1", "4", "vif" in every
/// domain), and each copy costs an object of 32 bytes or more. The pool is a fixed table of
/// slots, one per hash, whose occupant is replaced by the newest arrival on a miss: it never
/// grows and holds nothing a guest could pile up, so unlike string.Intern it needs no quota.
/// Shared arrays are never written: a node's value is immutable once the node exists.
/// </summary>
/// <remarks>
/// Every value a node keeps is a copy on the pinned object heap, which the collector counts
/// as gen2 from birth and never compacts (a byte array has nothing to trace). A value
/// overwritten in an old directory can then be written into the directory's old arrays
/// without marking a card (<see cref="TreeEdit"/>), instead of copying its path; the value it
/// replaces dies in that heap, which background collections sweep, not in gen2's small-object
/// heap, whose fragmentation made the collector stop everything to compact it.
/// </remarks>
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
        ref var slot = ref names[Hash(name) & (Slots - 1)];
        var known = Volatile.Read(ref slot);
        if (known is not null && string.Equals(known, name, StringComparison.Ordinal)) return known;
        Volatile.Write(ref slot, name);
        return name;
    }

    /// <summary>
    /// The pool's string for a name given as UTF-8 (a snapshot being loaded): a name already
    /// pooled costs no allocation.
    /// </summary>
    public static string Name(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength || !System.Text.Ascii.IsValid(utf8)) return System.Text.Encoding.UTF8.GetString(utf8);
        ref var slot = ref names[Hash(utf8) & (Slots - 1)];
        var known = Volatile.Read(ref slot);
        if (known is not null && SameAscii(known, utf8)) return known;
        var name = System.Text.Encoding.ASCII.GetString(utf8);
        Volatile.Write(ref slot, name);
        return name;
    }

    // One hash for a name's characters and for its ASCII bytes (FNV-1a), so that both ways in
    // find the same slot. A crafted collision only evicts a name from its slot: nothing probes.
    private static int Hash(ReadOnlySpan<char> name)
    {
        var hash = 2166136261u;
        foreach (var c in name) hash = (hash ^ c) * 16777619u;
        return (int)(hash ^ (hash >> 15));
    }

    private static int Hash(ReadOnlySpan<byte> ascii)
    {
        var hash = 2166136261u;
        foreach (var b in ascii) hash = (hash ^ b) * 16777619u;
        return (int)(hash ^ (hash >> 15));
    }

    private static bool SameAscii(string name, ReadOnlySpan<byte> ascii)
    {
        if (name.Length != ascii.Length) return false;
        for (var i = 0; i < ascii.Length; i++)
            if (name[i] != ascii[i]) return false;
        return true;
    }

    /// <summary>
    /// The pool's array with <paramref name="value"/>'s bytes, or a copy of it on the pinned
    /// object heap (now pooled if short); <paramref name="value"/> itself when it is old already
    /// (kept by <see cref="Value(ReadOnlySpan{byte})"/> on its way in, or another node's).
    /// </summary>
    public static byte[] Value(byte[] value)
    {
        if (value.Length == 0) return [];
        return GC.GetGeneration(value) >= 2 ? value : Value(value.AsSpan());
    }

    /// <summary>
    /// The pool's array with <paramref name="value"/>'s bytes, or a copy of them on the pinned
    /// object heap (now pooled if short): for values read from a request or a file, which are
    /// copied once, here, rather than into an array first.
    /// </summary>
    public static byte[] Value(ReadOnlySpan<byte> value)
    {
        if (value.Length == 0) return [];
        if (value.Length > MaxLength) return Kept(value);
        var hash = new HashCode();
        hash.AddBytes(value);
        ref var slot = ref values[hash.ToHashCode() & (Slots - 1)];
        var known = Volatile.Read(ref slot);
        if (known is not null && known.AsSpan().SequenceEqual(value)) return known;
        var kept = Kept(value);
        Volatile.Write(ref slot, kept);
        return kept;
    }

    /// <summary>A copy of <paramref name="value"/> on the pinned object heap (see the remarks).</summary>
    private static byte[] Kept(ReadOnlySpan<byte> value)
    {
        var copy = GC.AllocateUninitializedArray<byte>(value.Length, pinned: true);
        value.CopyTo(copy);
        return copy;
    }
}
