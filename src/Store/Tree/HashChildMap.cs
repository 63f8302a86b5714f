using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace XenStore.Tree;

/// <summary>
/// The children of a large directory: a persistent hash trie (16 ways per level, slots
/// compressed by a bitmap) from name to child and its creation sequence. Adding, replacing or
/// removing a child copies one small array per level, four or five levels for 200,000 children,
/// instead of the whole list; a lookup follows the same few levels and allocates only the
/// short-lived node of a leaf it finds.
/// </summary>
/// <remarks>
/// <para>
/// Every branch is a bare <see cref="Slot"/> array, and an array's bitmap sits in the slot
/// that points to it (where a child's sequence would be), not in a branch object around the
/// array: at a million nodes an object per branch cost 12 bytes per child.
/// </para>
/// <para>
/// A few children whose hashes agree so far share a bucket (a <see cref="BucketEntry"/> array
/// scanned by hash bits, then by name) rather than a branch of their own: up to
/// <see cref="BucketLimit"/>, or any number that have the same hash. Without buckets a
/// 1,000-child directory had about 380 branches, a hundred of them for two children that met at
/// the third level. Almost every child sits in a bucket, a leaf as its fields (<see cref="ChildEntry"/>)
/// with no object of its own; the few alone in a branch's slot are nodes, which keeps branch
/// slots at 16 bytes (every write copies a branch array per level, and 40-byte slots there made
/// 60 % more garbage).
/// </para>
/// <para>
/// Sixteen ways rather than 32: a change copies half the slots per level for one more level,
/// 12 % less garbage per write into 1,000-child directories (bench/StoreProbe), so fewer
/// collections. Creation order, which DIRECTORY shows, is restored by sorting on the sequence
/// when the children are listed, which is O(n) work anyway.
/// </para>
/// </remarks>
internal sealed class HashChildMap : ChildMap
{
    private const int BitsPerLevel = 4;
    private const int Ways = 1 << BitsPerLevel;

    /// <summary>
    /// Most children in a bucket whose hashes differ; one more and it becomes a branch. Larger
    /// buckets save under a byte per child of a 1,000-child directory, and cost longer scans and
    /// copies on every lookup and write in it.
    /// </summary>
    internal const int BucketLimit = 8;

    private static readonly Slot EmptyRoot = new(Array.Empty<BucketEntry>(), 0);

    /// <summary>A branch's tag keeps its bitmap of used ways in these low bits, and the epoch of its array above them.</summary>
    private const int BitmapBits = Ways;

    /// <summary>The top level: a child alone, a bucket or a branch (an empty bucket when there are no children).</summary>
    private readonly Slot root;
    private readonly int count;
    private readonly long nextSequence;

    /// <summary>Bits of the names' hashes used: all of them, except in tests that force collisions.</summary>
    private readonly int hashMask;

    /// <summary>Shared by the versions of this map with the same names in the same order (<see cref="ChildMap.NamesVersion"/>).</summary>
    private readonly object namesVersion;

    private HashChildMap(Slot root, int count, long nextSequence, int hashMask, object namesVersion)
    {
        this.root = root;
        this.count = count;
        this.nextSequence = nextSequence;
        this.hashMask = hashMask;
        this.namesVersion = namesVersion;
    }

    public override object? NamesVersion => namesVersion;

    /// <summary>
    /// The same children as <paramref name="items"/>, in the same order, inserted one by one:
    /// what <see cref="Build(Node[], int)"/> must equal (the tests compare them), and the map tests start from.
    /// </summary>
    public static HashChildMap From(IReadOnlyList<Node> items, int hashMask = -1)
    {
        var map = new HashChildMap(EmptyRoot, 0, 0, hashMask, new object());
        foreach (var item in items) map = map.With(item, null);
        return map;
    }

    /// <summary>An empty map whose first child gets <paramref name="sequence"/>, for the tests of what comes after <see cref="MaxSequence"/>.</summary>
    internal static HashChildMap StartingAt(long sequence) => new(EmptyRoot, 0, sequence, -1, new object());

    /// <summary>
    /// The same children as <paramref name="items"/>, in the same order, each array of the
    /// trie made once (the children are partitioned level by level) rather than by inserting
    /// them one by one. Throws <see cref="ArgumentException"/> on a repeated name.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static HashChildMap Build(Node[] items, int hashMask = -1)
    {
        var entries = new Entry[items.Length];
        for (var i = 0; i < items.Length; i++) entries[i] = new Entry(ChildEntry.Of(items[i]), i, string.GetHashCode(items[i].Name.AsSpan()) & hashMask);
        var root = items.Length == 0 ? EmptyRoot : BuildSlot(entries, new Entry[items.Length], 0, 0);
        return new HashChildMap(root, items.Length, items.Length, hashMask, new object());
    }

    /// <summary>
    /// The slot holding <paramref name="entries"/> (at least one), whose hashes agree below
    /// <paramref name="shift"/>: a child alone, a bucket, or a branch, its arrays stamped
    /// <paramref name="stamp"/>. <paramref name="scratch"/> is as long.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Slot BuildSlot(Span<Entry> entries, Span<Entry> scratch, int shift, long stamp)
    {
        if (entries.Length == 1) return new Slot(entries[0].Child.ToNode(), entries[0].Sequence);
        var sameHash = true;
        foreach (var entry in entries) sameHash &= entry.Hash == entries[0].Hash;
        if (entries.Length > BucketLimit && !sameHash) return BuildBranch(entries, scratch, shift, stamp);
        var bucket = new BucketEntry[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            // A repeated name has the same hash, so it lands in the same bucket.
            for (var j = 0; j < i; j++)
                if (entries[i].Child.Name == entries[j].Child.Name)
                    throw new ArgumentException($"Two children are called '{entries[i].Child.Name}'.", nameof(entries));
            bucket[i] = new BucketEntry(entries[i].Child, entries[i].Sequence, entries[i].Hash);
        }
        return new Slot(bucket, stamp);
    }

    /// <summary>The branch at <paramref name="shift"/> holding <paramref name="entries"/>, whose hashes are not all equal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Slot BuildBranch(Span<Entry> entries, Span<Entry> scratch, int shift, long stamp)
    {
        // Counting sort of the entries by their bits at this level, stable (order does not
        // matter to the trie, but a stable pass keeps equal-hash groups together below).
        Span<int> starts = stackalloc int[Ways + 1];
        foreach (var entry in entries) starts[Way(entry.Hash, shift) + 1]++;
        for (var b = 1; b <= Ways; b++) starts[b] += starts[b - 1];
        Span<int> next = stackalloc int[Ways];
        starts[..Ways].CopyTo(next);
        foreach (var entry in entries) scratch[next[Way(entry.Hash, shift)]++] = entry;
        scratch.CopyTo(entries);
        var bitmap = 0u;
        var used = 0;
        for (var b = 0; b < Ways; b++)
            if (starts[b + 1] > starts[b])
            {
                bitmap |= 1u << b;
                used++;
            }
        var slots = new Slot[used];
        var s = 0;
        for (var b = 0; b < Ways; b++)
        {
            var (from, to) = (starts[b], starts[b + 1]);
            if (to == from) continue;
            slots[s++] = BuildSlot(entries[from..to], scratch[from..to], shift + BitsPerLevel, stamp);
        }
        return new Slot(slots, stamp | bitmap);
    }

    private static int Way(int hash, int shift) => (int)(((uint)hash >> shift) & (Ways - 1));

    public override int Count => count;

    public override Node? Get(string name) => Find(name.AsSpan());

    public override Node? Get(ReadOnlySpan<char> name) => Find(name);

    internal override ChildMap Set(Node child, TreeEdit? edit) => With(child, edit);

    public override ChildMap Remove(string name)
    {
        var removed = false;
        var rest = Without(root, Hash(name), name, 0, ref removed);
        return removed ? new HashChildMap(rest ?? EmptyRoot, count - 1, nextSequence, hashMask, new object()) : this;
    }

    public override IEnumerable<Node> InOrder() => Entries(inOrder: true).Select(static c => c.Child.ToNode());

    public override IEnumerable<Node> Unordered() => Entries(inOrder: false).Select(static c => c.Child.ToNode());

    public override IEnumerable<string> NamesInOrder() => Entries(inOrder: true).Select(static c => c.Child.Name);

    public override IEnumerable<string> NamesUnordered() => Entries(inOrder: false).Select(static c => c.Child.Name);

    /// <summary>Every child with its sequence; sorted by it (creation order) when <paramref name="inOrder"/>.</summary>
    private List<(ChildEntry Child, long Sequence)> Entries(bool inOrder)
    {
        var children = new List<(ChildEntry Child, long Sequence)>(count);
        Collect(root, children);
        if (inOrder) children.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return children;
    }

    private Node? Find(ReadOnlySpan<char> name)
    {
        var hash = Hash(name);
        var slot = root;
        for (var shift = 0; ; shift += BitsPerLevel)
            switch (slot.Item)
            {
                case Node child:
                    return name.SequenceEqual(child.Name) ? child : null;
                case BucketEntry[] bucket:
                    foreach (var entry in bucket)
                        if (entry.MayBeNamed(hash) && name.SequenceEqual(entry.Child.Name)) return entry.Child.ToNode();
                    return null;
                default:
                    var bitmap = Bitmap(slot);
                    var bit = Bit(hash, shift);
                    if ((bitmap & bit) == 0) return null;
                    slot = ((Slot[])slot.Item)[Index(bitmap, bit)];
                    break;
            }
    }

    private HashChildMap With(Node child, TreeEdit? edit)
    {
        var added = false;
        var updated = With(root, child, Hash(child.Name), 0, ref added, edit);
        if (added)
        {
            var grown = new HashChildMap(updated, count + 1, nextSequence + 1, hashMask, new object());
            // Not reached in practice (see BucketEntry), but a sequence past it would wrap and misorder the listing.
            return grown.nextSequence < MaxSequence ? grown : Build([.. grown.InOrder()], hashMask);
        }
        // A child replaced keeps the names and their order: the version carries over, and when
        // it was replaced in place the map is the same.
        return Same(updated, root) ? this : new HashChildMap(updated, count, nextSequence, hashMask, namesVersion);
    }

    /// <summary>
    /// The slot with <paramref name="child"/> added (as the next in creation order), or
    /// replacing the child of the same name (keeping its place in the order): the same slot
    /// when the change was written into arrays <paramref name="edit"/> owns, else a copy of
    /// the path, stamped with the edit's epoch (0 without one).
    /// </summary>
    private Slot With(Slot slot, Node child, int hash, int shift, ref bool added, TreeEdit? edit)
    {
        var stamp = Stamp(edit);
        switch (slot.Item)
        {
            case Node alone:
                if (alone.Name == child.Name) return new Slot(child, slot.Tag);
                added = true;
                return new Slot(new[] { new BucketEntry(ChildEntry.Of(alone), slot.Tag, Hash(alone.Name)), new BucketEntry(ChildEntry.Of(child), nextSequence, hash) }, stamp);
            case BucketEntry[] bucket:
                var at = IndexOf(bucket, child.Name, hash);
                if (at >= 0)
                {
                    var replacement = bucket[at].Holding(ChildEntry.Of(child));
                    if (!Owns(edit, slot, child)) return new Slot(Replacing(bucket, at, replacement), stamp);
                    edit.Write(bucket, at, replacement);
                    return slot;
                }
                added = true;
                // Only the empty map's root is an empty bucket: its first child stands alone, as Build makes it.
                if (bucket.Length == 0) return new Slot(child, nextSequence);
                var grown = Inserting(bucket, bucket.Length, new BucketEntry(ChildEntry.Of(child), nextSequence, hash));
                return grown.Length <= BucketLimit ? new Slot(grown, stamp) : Split(grown, shift, stamp);
        }
        var slots = (Slot[])slot.Item;
        var bitmap = Bitmap(slot);
        var bit = Bit(hash, shift);
        var index = Index(bitmap, bit);
        if ((bitmap & bit) == 0)
        {
            added = true;
            return new Slot(Inserting(slots, index, new Slot(child, nextSequence)), stamp | bitmap | bit);
        }
        var inner = With(slots[index], child, hash, shift + BitsPerLevel, ref added, edit);
        if (Same(inner, slots[index])) return slot;
        if (!Owns(edit, slot, null)) return new Slot(Replacing(slots, index, inner), stamp | bitmap);
        edit.Write(slots, index, inner);
        return slot;
    }

    /// <summary>The slot for a bucket grown past <see cref="BucketLimit"/>: a branch, or still a bucket if all its hashes are equal.</summary>
    private Slot Split(BucketEntry[] bucket, int shift, long stamp)
    {
        var entries = new Entry[bucket.Length];
        var sameHash = true;
        for (var i = 0; i < bucket.Length; i++)
        {
            entries[i] = new Entry(bucket[i].Child, bucket[i].Sequence, Hash(bucket[i].Child.Name));
            sameHash &= entries[i].Hash == entries[0].Hash;
        }
        // Names known to differ: a collision bucket grows without Build's check of every pair.
        return sameHash ? new Slot(bucket, stamp) : BuildSlot(entries, new Entry[entries.Length], shift, stamp);
    }

    /// <summary>
    /// The slot without <paramref name="name"/>: itself when absent, null when it becomes
    /// empty. A branch left with one child or one bucket becomes that slot (a bucket is found by
    /// name, so it may sit at any level above its own). Always a copy of the path, with epoch 0:
    /// removals are rare beside writes.
    /// </summary>
    private static Slot? Without(Slot slot, int hash, string name, int shift, ref bool removed)
    {
        switch (slot.Item)
        {
            case Node alone:
                if (alone.Name != name) return slot;
                removed = true;
                return null;
            case BucketEntry[] bucket:
                var at = IndexOf(bucket, name, hash);
                if (at < 0) return slot;
                removed = true;
                return bucket.Length switch
                {
                    1 => null,
                    2 => new Slot(bucket[1 - at].Child.ToNode(), bucket[1 - at].Sequence),
                    _ => new Slot(Removing(bucket, at), 0),
                };
        }
        var slots = (Slot[])slot.Item;
        var bitmap = Bitmap(slot);
        var bit = Bit(hash, shift);
        if ((bitmap & bit) == 0) return slot;
        var index = Index(bitmap, bit);
        var inner = Without(slots[index], hash, name, shift + BitsPerLevel, ref removed);
        if (!removed) return slot;
        if (inner is { } kept)
            return slots.Length == 1 && !IsBranch(kept) ? kept : new Slot(Replacing(slots, index, kept), bitmap);
        return slots.Length switch
        {
            1 => null,
            2 when !IsBranch(slots[1 - index]) => slots[1 - index],
            _ => new Slot(Removing(slots, index), bitmap & ~bit),
        };
    }

    /// <summary>
    /// The trie's arrays (branches and buckets), their slots, the deepest level (the root's
    /// is 0) and the bytes the arrays take, for the tests: a map built at once must have the
    /// shape of the same children inserted one by one, and the per-child memory must stay small.
    /// </summary>
    internal (int Arrays, int Slots, int Depth, long Bytes) Footprint()
    {
        var (arrays, slots, depth, bytes) = (0, 0, 0, 0L);
        var stack = new Stack<(Slot Slot, int Level)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (slot, level) = stack.Pop();
            if (slot.Item is Node) continue;
            arrays++;
            depth = Math.Max(depth, level);
            if (slot.Item is BucketEntry[] bucket)
            {
                slots += bucket.Length;
                bytes += ArrayHeaderBytes + bucket.Length * Unsafe.SizeOf<BucketEntry>();
                continue;
            }
            var inner = (Slot[])slot.Item;
            slots += inner.Length;
            bytes += ArrayHeaderBytes + inner.Length * Unsafe.SizeOf<Slot>();
            foreach (var s in inner) stack.Push((s, level + 1));
        }
        return (arrays, slots, depth, bytes);
    }

    /// <summary>An array's object header, method table and length on a 64-bit runtime.</summary>
    private const int ArrayHeaderBytes = 24;

    /// <summary>Whether the children all sit in one bucket scanned by name (no level of the trie yet), for the tests.</summary>
    internal bool IsOneBucket => root.Item is BucketEntry[];

    private static bool IsBranch(Slot slot) => slot.Item is Slot[];

    private static uint Bitmap(Slot branch) => (uint)(branch.Tag & ((1L << BitmapBits) - 1));

    /// <summary>The tag bits of an array made under <paramref name="edit"/>: its epoch, above a branch's bitmap.</summary>
    private static long Stamp(TreeEdit? edit) => (edit?.Epoch ?? 0) << BitmapBits;

    /// <summary>Whether the array in <paramref name="slot"/> (a bucket or a branch) may be written in place with <paramref name="child"/>'s entry or another slot (<see cref="TreeEdit.MayWrite"/>).</summary>
    private static bool Owns([NotNullWhen(true)] TreeEdit? edit, Slot slot, Node? child) => edit is not null && edit.MayWrite(slot.Tag >> BitmapBits, slot.Item, child);

    private static bool Same(Slot a, Slot b) => ReferenceEquals(a.Item, b.Item) && a.Tag == b.Tag;

    /// <summary>Where <paramref name="name"/>, whose hash is <paramref name="hash"/>, sits in <paramref name="bucket"/>, or -1 (a loop: a predicate would allocate a closure per write).</summary>
    private static int IndexOf(BucketEntry[] bucket, string name, int hash)
    {
        for (var i = 0; i < bucket.Length; i++)
            if (bucket[i].MayBeNamed(hash) && bucket[i].Child.Name == name) return i;
        return -1;
    }

    private static void Collect(Slot slot, List<(ChildEntry Child, long Sequence)> children)
    {
        switch (slot.Item)
        {
            case Node alone:
                children.Add((ChildEntry.Of(alone), slot.Tag));
                return;
            case BucketEntry[] bucket:
                foreach (var entry in bucket) children.Add((entry.Child, entry.Sequence));
                return;
        }
        foreach (var inner in (Slot[])slot.Item) Collect(inner, children);
    }

    /// <summary>The same for a span as for the string with its characters (no allocation on lookups).</summary>
    private int Hash(ReadOnlySpan<char> name) => string.GetHashCode(name) & hashMask;

    private static uint Bit(int hash, int shift) => 1u << Way(hash, shift);

    private static int Index(uint bitmap, uint bit) => BitOperations.PopCount(bitmap & (bit - 1));

    private static T[] Inserting<T>(T[] items, int index, T item)
    {
        var copy = new T[items.Length + 1];
        Array.Copy(items, copy, index);
        copy[index] = item;
        Array.Copy(items, index, copy, index + 1, items.Length - index);
        return copy;
    }

    private static T[] Replacing<T>(T[] items, int index, T item)
    {
        var copy = (T[])items.Clone();
        copy[index] = item;
        return copy;
    }

    private static T[] Removing<T>(T[] items, int index)
    {
        var copy = new T[items.Length - 1];
        Array.Copy(items, copy, index);
        Array.Copy(items, index + 1, copy, index, items.Length - index - 1);
        return copy;
    }

    /// <summary>
    /// One entry of a branch: a child alone and its creation sequence, a branch below and its
    /// bitmap of used ways and epoch (<see cref="TreeEdit"/>), or a bucket and its epoch. The
    /// tag stays a long: an int would not make the slot smaller (a reference aligns it to 16
    /// bytes) and could wrap in a long-lived directory.
    /// </summary>
    internal readonly record struct Slot(object Item, long Tag);

    /// <summary>
    /// One child of a bucket, its creation sequence and, below the sequence in the same word,
    /// 16 bits of its name's hash. A lookup scans a bucket for a name, and each name is an
    /// object of its own, a cache miss at a large directory's size: the hash bits turn away
    /// almost every other child without it, in a slot no larger (a bucket entry stays 40 bytes). The bits
    /// are the hash's high ones: a bucket's children agree on the low ones the levels above
    /// used. The 47 bits left count a directory's creations for years at a million a second;
    /// a map that gets there numbers its children again (<see cref="MaxSequence"/>).
    /// </summary>
    internal readonly struct BucketEntry
    {
        private readonly long sequenceAndHash;

        public BucketEntry(ChildEntry child, long sequence, int hash)
            : this(child, sequence << HashBits | Bits(hash))
        {
        }

        private BucketEntry(ChildEntry child, long sequenceAndHash)
        {
            Child = child;
            this.sequenceAndHash = sequenceAndHash;
        }

        public ChildEntry Child { get; }

        public long Sequence => sequenceAndHash >> HashBits;

        /// <summary>False when the child's name cannot hash to <paramref name="hash"/>: no need to read it.</summary>
        public bool MayBeNamed(int hash) => (sequenceAndHash & HashMask) == Bits(hash);

        /// <summary>Another child of the same name (so the same hash), in the same place of the creation order.</summary>
        public BucketEntry Holding(ChildEntry other) => new(other, sequenceAndHash);

        private static long Bits(int hash) => (uint)hash >> (32 - HashBits);
    }

    private const int HashBits = 16;
    private const long HashMask = (1L << HashBits) - 1;

    /// <summary>The first sequence a bucket entry cannot hold.</summary>
    internal const long MaxSequence = 1L << (63 - HashBits);

    /// <summary>A child, its sequence and its name's hash, while a map is built or a bucket split.</summary>
    private readonly record struct Entry(ChildEntry Child, long Sequence, int Hash);
}
