using System.Numerics;
using System.Runtime.CompilerServices;

namespace XenStore.Tree;

/// <summary>
/// The entries of a large directory's children, appended in the order they were written and
/// shared by every version of the directory's map (<see cref="LargeChildMap"/>): a version sees
/// the entries before its own end, so what is appended after it never disturbs it. An entry
/// that replaces or removes an earlier one links back to it, so that an older version finds,
/// through the same table, the entry it had.
/// </summary>
/// <remarks>
/// <para>
/// The entries sit in chunks of <see cref="ChunkSize"/>, and a new child is written into the
/// last one. A persistent trie had to copy a bucket and the branches above it for each new
/// child once the collector had moved them to gen2 (a young name written into an old array
/// marks a card that every young collection scans), about 1.2 KB a child: twice the young
/// collections of an empty store's writes (bench/results.md). Here the young names written into
/// an old chunk are next to each other, a few cards of one array.
/// </para>
/// <para>
/// Only one line of versions appends, the owner's (the live store's <see cref="TreeEdit"/>,
/// or no edit for a map built where nothing else sees it), and only from the newest version,
/// whose end is the log's: anyone else who keeps a version and changes it (a transaction)
/// gets a <see cref="BranchChildMap"/>. What the owner appends and writes under an edit is
/// journaled in the edit, so that <see cref="TreeEdit.Restore"/> takes back a refused change whole.
/// </para>
/// </remarks>
internal sealed class ChildLog
{
    internal const int ChunkBits = 10;

    /// <summary>Entries per chunk: 32 KiB, below the large-object heap's threshold.</summary>
    internal const int ChunkSize = 1 << ChunkBits;

    private const int FirstChunkSize = 64;

    private ChildEntry[][] chunks;

    /// <summary>How each entry replaced or removed another; null until one does, which most logs never see.</summary>
    private Link[]? links;

    /// <summary>The <see cref="TreeEdit.Change"/> whose journal has this log's length before it (0: none yet).</summary>
    private long journaledChange;

    public ChildLog(int capacity, int hashMask)
    {
        HashMask = hashMask;
        var first = capacity >= ChunkSize ? ChunkSize : Math.Max(FirstChunkSize, (int)BitOperations.RoundUpToPowerOf2((uint)capacity));
        chunks = new ChildEntry[Math.Max(1, (capacity + ChunkSize - 1) >> ChunkBits)][];
        chunks[0] = new ChildEntry[first];
    }

    /// <summary>Bits of the names' hashes used: all of them, except in tests that force collisions.</summary>
    public int HashMask { get; }

    /// <summary>How many entries there are: the newest version's end.</summary>
    public int Length { get; private set; }

    /// <summary>Who appends: an edit, or none (a map built where nobody else sees it, until an edit takes it over).</summary>
    private TreeEdit? Owner { get; set; }

    public ref readonly ChildEntry this[int index] => ref chunks[index >> ChunkBits][index & (ChunkSize - 1)];

    /// <summary>The array holding entry <paramref name="index"/> (whose generation decides whether it may be written in place).</summary>
    public ChildEntry[] ChunkOf(int index) => chunks[index >> ChunkBits];

    /// <summary>
    /// Whether the version ending at <paramref name="end"/> may append under <paramref name="edit"/>:
    /// it is the newest, and the edit owns the log (an edit takes over a log nobody owns).
    /// </summary>
    public bool MayAppend(TreeEdit? edit, int end)
    {
        if (end != Length) return false;
        if (ReferenceEquals(Owner, edit)) return true;
        if (Owner is not null || edit is null) return false;
        Owner = edit;
        return true;
    }

    /// <summary>The entry <paramref name="index"/> replaced or removed, or -1.</summary>
    public int Previous(int index) => links is null ? -1 : links[index].Previous;

    /// <summary>Whether entry <paramref name="index"/> marks its name removed.</summary>
    public bool IsRemoved(int index) => links is not null && links[index].Removed;

    /// <summary>Whether a version ending at <paramref name="end"/> has entry <paramref name="index"/> as a child.</summary>
    public bool IsVisible(int index, int end) =>
        links is null || !links[index].Removed && (links[index].Next < 0 || links[index].Next >= end);

    /// <summary>Where the child of entry <paramref name="index"/> stands in creation order: the entry that first made it.</summary>
    public int Origin(int index) => links is null || links[index].Origin < 0 ? index : links[index].Origin;

    /// <summary>The bytes the chunks and links take, for the tests.</summary>
    public long Bytes =>
        chunks.Sum(static chunk => chunk is null ? 0L : LargeChildMap.ArrayHeaderBytes + (long)chunk.Length * Unsafe.SizeOf<ChildEntry>())
        + (links is null ? 0 : LargeChildMap.ArrayHeaderBytes + (long)links.Length * Unsafe.SizeOf<Link>());

    /// <summary>Whether any entry replaced or removed another, so that entries are no longer in creation order.</summary>
    public bool HasLinks => links is not null;

    /// <summary>
    /// Appends <paramref name="entry"/>: a new child when <paramref name="previous"/> is -1,
    /// else the next state of <paramref name="previous"/>'s name (<paramref name="removed"/>, or
    /// a child in <paramref name="origin"/>'s place of the creation order; -1 for its own).
    /// </summary>
    public int Append(TreeEdit? edit, in ChildEntry entry, int previous = -1, bool removed = false, int origin = -1)
    {
        Enlist(edit);
        var index = Length;
        var chunk = index >> ChunkBits;
        if (chunk == chunks.Length) Array.Resize(ref chunks, chunks.Length * 2);
        chunks[chunk] ??= new ChildEntry[ChunkSize];
        if (chunk == 0 && index == chunks[0].Length) Array.Resize(ref chunks[0], Math.Min(ChunkSize, index * 2));
        chunks[chunk][index & (ChunkSize - 1)] = entry;
        if (previous >= 0 || removed || origin >= 0 || links is not null)
        {
            EnsureLinks(index + 1);
            links![index] = new Link(previous, -1, origin, removed);
            if (previous >= 0) WriteLink(edit, previous, links[previous] with { Next = index });
        }
        Length = index + 1;
        return index;
    }

    /// <summary>Writes <paramref name="entry"/> over entry <paramref name="index"/>, which no version but the newest can see.</summary>
    public void Write(TreeEdit edit, int index, in ChildEntry entry)
    {
        Enlist(edit);
        ref var slot = ref chunks[index >> ChunkBits][index & (ChunkSize - 1)];
        edit.Journal(this, index, slot);
        slot = entry;
    }

    /// <summary>Writes a slot of a table of this log's entries, journaled under <paramref name="edit"/>.</summary>
    public void WriteTable(TreeEdit? edit, long[] table, int index, long value)
    {
        if (edit is not null)
        {
            Enlist(edit);
            edit.Journal(table, index);
        }
        // After the entry it names (LargeChildMap reads the slot first).
        Volatile.Write(ref table[index], value);
    }

    /// <summary>Puts back entry <paramref name="index"/> as it was (<see cref="TreeEdit.Restore"/>).</summary>
    internal void Restore(int index, in ChildEntry entry) => chunks[index >> ChunkBits][index & (ChunkSize - 1)] = entry;

    /// <summary>Puts back which entry replaced or removed entry <paramref name="index"/> (<see cref="TreeEdit.Restore"/>).</summary>
    internal void RestoreNext(int index, int next) => links![index] = links[index] with { Next = next };

    /// <summary>
    /// Takes back the entries appended since the log had <paramref name="length"/> (<see cref="TreeEdit.Restore"/>).
    /// They stay until appends write over them: a snapshot being written may still compare its
    /// name with one whose slot it read before.
    /// </summary>
    internal void Truncate(int length) => Length = length;

    private void Enlist(TreeEdit? edit)
    {
        if (edit is null || journaledChange == edit.Change) return;
        journaledChange = edit.Change;
        edit.Journal(this, Length);
    }

    private void WriteLink(TreeEdit? edit, int index, Link link)
    {
        if (edit is not null) edit.JournalNext(this, index, links![index].Next);
        links![index] = link;
    }

    private void EnsureLinks(int length)
    {
        if (links is null) links = NoLinks(Math.Max(length, chunks[0].Length));
        else if (length > links.Length)
        {
            var grown = NoLinks(Math.Max(length, links.Length * 2));
            links.CopyTo(grown, 0);
            links = grown;
        }
    }

    private static Link[] NoLinks(int length)
    {
        var made = new Link[length];
        Array.Fill(made, new Link(-1, -1, -1, false));
        return made;
    }

    /// <summary>
    /// How an entry relates to the others of its name: the one it replaced or removed, the one
    /// that replaced or removed it (as long as nobody did, -1), the one that first made the
    /// child (-1: itself), and whether it marks the name removed.
    /// </summary>
    private readonly record struct Link(int Previous, int Next, int Origin, bool Removed);
}
