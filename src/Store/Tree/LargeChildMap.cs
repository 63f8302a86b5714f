using System.Numerics;

namespace XenStore.Tree;

/// <summary>
/// The children of a large directory: their entries in a <see cref="ChildLog"/>, appended as
/// they are written, and an open-addressing table from each name to its newest entry. A new
/// child costs an entry appended and a table slot written; the table holds numbers only, so it
/// is written in place whatever its generation, without marking a card. A version of the map
/// is the log up to its end, the table and a count: an older version, kept by a transaction or
/// a snapshot, follows an entry's links back to the one it had.
/// </summary>
/// <remarks>
/// <para>
/// A child replaced keeps its entry when no kept version can see it (the newest under the
/// edit's epoch, <see cref="TreeEdit"/>) and the collector's rules allow; otherwise the new
/// entry is appended and links back. Removing appends an entry that marks the name removed.
/// Once the entries nobody needs outnumber the children, the next change copies the children
/// into a new log (the old versions keep the old one): a cost proportional to the directory,
/// at most once per as many changes.
/// </para>
/// <para>
/// A snapshot is written from a kept version on another thread while the live store appends:
/// the owner writes an entry and its links before the table slot that names it, and a reader
/// reads the slot before the entry, so that whatever a kept version finds is whole.
/// </para>
/// <para>
/// The table doubles when three quarters of it is used, names removed included, and a version
/// keeps the table it was made with: the newest line of versions writes only its own.
/// </para>
/// </remarks>
internal sealed class LargeChildMap : ChildMap
{
    private const int MinTableSize = 64;

    /// <summary>Entries nobody needs, beyond the children, that a log keeps before it is compacted.</summary>
    private const int DeadAllowance = 64;

    private readonly ChildLog log;

    /// <summary>Each used slot: the name's hash in the high half, its newest entry plus one in the low half (0: free).</summary>
    private readonly long[] table;

    private readonly int end;
    private readonly int count;
    private readonly int used;

    /// <summary>Shared by the versions of this map with the same names in the same order (<see cref="ChildMap.NamesVersion"/>).</summary>
    private readonly object namesVersion;

    /// <summary>The edit epoch this version was made under, and from which entry on that epoch's edit may write entries in place.</summary>
    private readonly long epoch;
    private readonly int ownedFrom;

    private LargeChildMap(ChildLog log, long[] table, int count, int used, object namesVersion, long epoch, int ownedFrom)
    {
        this.log = log;
        this.table = table;
        end = log.Length;
        this.count = count;
        this.used = used;
        this.namesVersion = namesVersion;
        this.epoch = epoch;
        this.ownedFrom = ownedFrom;
    }

    public override object? NamesVersion => namesVersion;

    public override int Count => count;

    /// <summary>
    /// The map of <paramref name="items"/>, in their order (loading a saved store, or a small
    /// map grown past <see cref="ChildMap.ArrayLimit"/>). Throws <see cref="ArgumentException"/>
    /// on a repeated name.
    /// </summary>
    public static LargeChildMap Build(IReadOnlyList<Node> items, int hashMask = -1)
    {
        var log = new ChildLog(items.Count, hashMask);
        var table = new long[TableSize(items.Count)];
        foreach (var item in items)
        {
            var hash = string.GetHashCode(item.Name.AsSpan()) & hashMask;
            var slot = SlotOf(log, table, item.Name, hash);
            if (slot >= 0) throw new ArgumentException($"Two children are called '{item.Name}'.", nameof(items));
            table[~slot] = Pack(hash, log.Append(null, ChildEntry.Of(item)));
        }
        return new LargeChildMap(log, table, items.Count, items.Count, new object(), 0, int.MaxValue);
    }

    public override Node? Get(string name) => Get(name.AsSpan());

    public override Node? Get(ReadOnlySpan<char> name)
    {
        var slot = SlotOf(log, table, name, Hash(name));
        if (slot < 0) return null;
        // Read again: the owner may have written the slot since (for a kept version, the
        // links lead back to the same entry, or to none if a new name's change was taken back).
        var at = Visible(Entry(Volatile.Read(ref table[slot])));
        return at < 0 ? null : log[at].ToNode();
    }

    internal override ChildMap Set(Node child, TreeEdit? edit)
    {
        if (!log.MayAppend(edit, end)) return new BranchChildMap(this).Set(child, edit);
        if (TooManyDead()) return Compacted(edit).Set(child, edit);
        var entry = ChildEntry.Of(child);
        var hash = Hash(child.Name);
        var slot = SlotOf(log, table, child.Name, hash);
        if (slot >= 0)
        {
            // This version is the newest: the slot's entry is its own state of the name.
            var newest = Entry(table[slot]);
            if (!log.IsRemoved(newest))
            {
                if (edit is not null && newest >= OwnedFrom(edit) && edit.MayWrite(edit.Epoch, log.ChunkOf(newest), child))
                {
                    log.Write(edit, newest, entry);
                    return this;
                }
                log.WriteTable(edit, table, slot, Pack(hash, log.Append(edit, entry, newest, origin: log.Origin(newest))));
                // A child replaced keeps the names and their order.
                return Next(edit, count, used, namesVersion);
            }
            // Made again after its removal: it comes last.
            log.WriteTable(edit, table, slot, Pack(hash, log.Append(edit, entry, newest)));
            return Next(edit, count + 1, used, new object());
        }
        if (used + 1 > table.Length / 4 * 3) return Regrown(edit).Set(child, edit);
        log.WriteTable(edit, table, ~slot, Pack(hash, log.Append(edit, entry)));
        return Next(edit, count + 1, used + 1, new object());
    }

    internal override ChildMap Remove(string name, TreeEdit? edit)
    {
        var hash = Hash(name);
        var slot = SlotOf(log, table, name, hash);
        if (slot < 0) return this;
        // For the newest version (the only one that appends) the newest entry is the one it has.
        var newest = Entry(table[slot]);
        if (Visible(newest) < 0) return this;
        if (!log.MayAppend(edit, end)) return new BranchChildMap(this).Remove(name, edit);
        if (TooManyDead()) return Compacted(edit).Remove(name, edit);
        log.WriteTable(edit, table, slot, Pack(hash, log.Append(edit, ChildEntry.Removed(log[newest].Name), newest, removed: true)));
        return Next(edit, count - 1, used, new object());
    }

    public override IEnumerable<Node> InOrder() => Children(inOrder: true).Select(i => log[i].ToNode());

    public override IEnumerable<Node> Unordered() => Children(inOrder: false).Select(i => log[i].ToNode());

    public override IEnumerable<string> NamesInOrder() => Children(inOrder: true).Select(i => log[i].Name);

    public override IEnumerable<string> NamesUnordered() => Children(inOrder: false).Select(i => log[i].Name);

    /// <summary>
    /// The bytes this map's arrays take (the log's chunks and the table), for the tests: a
    /// large directory's memory per child must stay small.
    /// </summary>
    internal long Footprint() => log.Bytes + ArrayHeaderBytes + table.Length * sizeof(long);

    /// <summary>The log this version reads, for the tests: a change taken back must leave it to append to.</summary>
    internal ChildLog Log => log;

    /// <summary>An array's object header, method table and length on a 64-bit runtime.</summary>
    internal const int ArrayHeaderBytes = 24;

    /// <summary>The entries of this version's children; in creation order when <paramref name="inOrder"/>.</summary>
    private List<int> Children(bool inOrder)
    {
        var children = new List<int>(count);
        if (!inOrder || !log.HasLinks)
        {
            for (var i = 0; i < end; i++)
                if (log.IsVisible(i, end)) children.Add(i);
            return children;
        }
        // A child replaced by an appended entry keeps its first entry's place. Each child has
        // its own first entry, so placing them by it is a sort in linear time.
        var byOrigin = new int[end];
        Array.Fill(byOrigin, -1);
        for (var i = 0; i < end; i++)
            if (log.IsVisible(i, end)) byOrigin[log.Origin(i)] = i;
        foreach (var i in byOrigin)
            if (i >= 0) children.Add(i);
        return children;
    }

    /// <summary>The newest version after an append under <paramref name="edit"/>.</summary>
    private LargeChildMap Next(TreeEdit? edit, int children, int slotsUsed, object names) =>
        edit is null
            ? new LargeChildMap(log, table, children, slotsUsed, names, 0, int.MaxValue)
            : new LargeChildMap(log, table, children, slotsUsed, names, edit.Epoch, OwnedFrom(edit));

    /// <summary>The first entry <paramref name="edit"/> may write in place: none before this version's end unless they were appended in its epoch.</summary>
    private int OwnedFrom(TreeEdit edit) => epoch == edit.Epoch ? ownedFrom : end;

    private bool TooManyDead() => end - count > count + DeadAllowance;

    /// <summary>
    /// This version's children in a new log and table, in their order, sized for them (the
    /// old versions keep the old ones): the names and their order are the same, and the new
    /// entries are <paramref name="edit"/>'s to write in place.
    /// </summary>
    private LargeChildMap Compacted(TreeEdit? edit)
    {
        var children = Children(inOrder: true);
        var compacted = new ChildLog(children.Count, log.HashMask);
        var grown = new long[TableSize(children.Count)];
        foreach (var i in children) PlaceDistinct(grown, Pack(Hash(log[i].Name), compacted.Append(null, log[i])));
        return new LargeChildMap(compacted, grown, children.Count, children.Count, namesVersion, edit?.Epoch ?? 0, edit is null ? int.MaxValue : 0);
    }

    /// <summary>
    /// This version with a table sized for its children, in which the names removed are free
    /// again; the log stays (this version is its newest, so each name's entry in the table is
    /// the one it has).
    /// </summary>
    private LargeChildMap Regrown(TreeEdit? edit)
    {
        var grown = new long[TableSize(count)];
        foreach (var slot in table)
            if (slot != 0 && !log.IsRemoved(Entry(slot))) PlaceDistinct(grown, slot);
        return new LargeChildMap(log, grown, count, count, namesVersion, edit?.Epoch ?? epoch, edit is null ? ownedFrom : OwnedFrom(edit));
    }

    /// <summary>The entry this version has for the name whose newest entry is <paramref name="newest"/>, or -1 (removed, or not made yet).</summary>
    private int Visible(int newest)
    {
        var at = newest;
        while (at >= end)
        {
            at = log.Previous(at);
            if (at < 0) return -1;
        }
        return at < 0 || log.IsRemoved(at) ? -1 : at;
    }

    /// <summary>The slot of <paramref name="name"/>, or the complement of the free slot where it would go.</summary>
    private static int SlotOf(ChildLog log, long[] table, ReadOnlySpan<char> name, int hash)
    {
        var mask = table.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            // Read before the entry it names: the owner writes the entry, then the slot.
            var slot = Volatile.Read(ref table[i]);
            if (slot == 0) return ~i;
            if ((int)(slot >> 32) != hash) continue;
            if (name.SequenceEqual(log[Entry(slot)].Name)) return i;
            // A refused change taken back between the two reads: the entry may be another's now.
            if (Volatile.Read(ref table[i]) != slot) i = (i - 1) & mask;
        }
    }

    /// <summary>
    /// Puts <paramref name="slot"/> in the first free place from its hash in a table being
    /// filled with names known to differ: no name is read (at 200,000 children, a cache miss each).
    /// </summary>
    private static void PlaceDistinct(long[] table, long slot)
    {
        var mask = table.Length - 1;
        var i = (int)(slot >> 32) & mask;
        while (table[i] != 0) i = (i + 1) & mask;
        table[i] = slot;
    }

    /// <summary>A table for <paramref name="children"/> names, under half used.</summary>
    private static int TableSize(int children) => (int)Math.Max(MinTableSize, BitOperations.RoundUpToPowerOf2((uint)(children * 2 + 1)));

    private static long Pack(int hash, int entry) => (long)hash << 32 | (uint)(entry + 1);

    private static int Entry(long slot) => (int)slot - 1;

    /// <summary>The same for a span as for the string with its characters (no allocation on lookups).</summary>
    private int Hash(ReadOnlySpan<char> name) => string.GetHashCode(name) & log.HashMask;
}
