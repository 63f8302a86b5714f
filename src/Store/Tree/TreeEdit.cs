namespace XenStore.Tree;

/// <summary>
/// The right to change one tree's newest arrays in place: the live store's. Path copying made
/// every write copy each array on its path and every node above it (2.6 KB for a new node on
/// a host's store), although nobody but the live store held most of them, and so a young
/// collection every few hundred writes. Arrays made under an edit carry its epoch; a later
/// change under the same epoch writes into them instead of copying them, and a node whose
/// children changed in place stays the same node, so its ancestors are not copied either.
/// </summary>
/// <remarks>
/// <para>
/// An array the collector has moved to gen2 is written only with a leaf whose name, value and
/// permissions are in gen2 too, which marks no card. That is every value overwritten (values
/// live on the pinned object heap, old from birth, see <see cref="InternPool"/>) under a name
/// and permissions the node had, and the copies it saves were what filled gen2 with garbage
/// under steady overwrites. Anything young (a new value, a new array, a directory node) put into an old
/// array marks a card that every young collection must scan until the object is promoted, and
/// in a fragmented gen2 that made young collections ten times longer than the copies saved
/// (bench/results.md, Churn). Such arrays are copied, as before, and the young copy is written
/// in place by the changes after it.
/// </para>
/// <para>
/// Whoever keeps a root or a directory beyond the change being made (a transaction, a snapshot
/// writer) calls <see cref="Share"/> first: a new epoch, so nothing made so far is written
/// again and what they hold stays as it was. Each write in place is logged until
/// <see cref="Forget"/>, so that <see cref="Restore"/> can take back a change that was refused
/// (the old root alone no longer describes the old tree). Arrays made without an edit (loaded,
/// built by a transaction) have epoch 0 and are copied on their first change, as before.
/// </para>
/// <para>
/// A large directory's map appends to a log instead (<see cref="LargeChildMap"/>), which kept
/// versions do not see; the epoch there only says which entries may be written over in place,
/// and the edit journals the log's length, what it writes over and its table's slots.
/// </para>
/// </remarks>
internal sealed class TreeEdit
{
    private readonly List<(ChildEntry[] Array, int Index, ChildEntry Old)> entries = [];

    // What large maps' logs (ChildLog) did: their lengths before, entries written over, links
    // written, and the slots of their tables.
    private readonly List<(ChildLog Log, int Length)> logLengths = [];
    private readonly List<(ChildLog Log, int Index, ChildEntry Old)> logEntries = [];
    private readonly List<(ChildLog Log, int Index, int Next)> logNexts = [];
    private readonly List<(long[] Table, int Index, long Old)> tableSlots = [];

    /// <summary>The stamp of arrays this edit may still write into (never 0, which no edit owns).</summary>
    public long Epoch { get; private set; } = 1;

    /// <summary>
    /// Writes arrays the collector has promoted to gen2 too (for the tests, whose arrays'
    /// generations depend on when collections happen to run).
    /// </summary>
    internal bool WritesOldArrays { get; init; }

    /// <summary>Numbers the changes between <see cref="Forget"/>s, so that a log records its length once per change.</summary>
    internal long Change { get; private set; } = 1;

    /// <summary>From now on everything made so far is shared: it is copied, not written, by later changes.</summary>
    public void Share() => Epoch++;

    /// <summary>
    /// Whether <paramref name="array"/>, made under <paramref name="epoch"/>, may be written in
    /// place with the entry of <paramref name="child"/> (null when what goes in is not a child's entry).
    /// </summary>
    internal bool MayWrite(long epoch, object array, Node? child) =>
        epoch == Epoch && (WritesOldArrays || GC.GetGeneration(array) < 2 || child is LeafNode leaf && IsOld(leaf));

    /// <summary>Whether every object a leaf's entry refers to is in gen2 (or outside the collected heap).</summary>
    private static bool IsOld(LeafNode leaf) =>
        GC.GetGeneration(leaf.Value) >= 2 && GC.GetGeneration(leaf.Name) >= 2 && GC.GetGeneration(leaf.Permissions) >= 2;

    /// <summary>The changes so far are kept: their log goes.</summary>
    public void Forget()
    {
        entries.Clear();
        logLengths.Clear();
        logEntries.Clear();
        logNexts.Clear();
        tableSlots.Clear();
        Change++;
    }

    /// <summary>Puts back what every write in place since the last <see cref="Forget"/> replaced, newest first.</summary>
    public void Restore()
    {
        // Each list holds different arrays from the others, so only the order within one matters.
        for (var i = entries.Count - 1; i >= 0; i--) entries[i].Array[entries[i].Index] = entries[i].Old;
        for (var i = tableSlots.Count - 1; i >= 0; i--) tableSlots[i].Table[tableSlots[i].Index] = tableSlots[i].Old;
        for (var i = logEntries.Count - 1; i >= 0; i--) logEntries[i].Log.Restore(logEntries[i].Index, logEntries[i].Old);
        for (var i = logNexts.Count - 1; i >= 0; i--) logNexts[i].Log.RestoreNext(logNexts[i].Index, logNexts[i].Next);
        foreach (var (log, length) in logLengths) log.Truncate(length);
        Forget();
    }

    /// <summary>Records <paramref name="log"/>'s length before its first append or write of the change.</summary>
    internal void Journal(ChildLog log, int length) => logLengths.Add((log, length));

    /// <summary>Records entry <paramref name="index"/> of <paramref name="log"/>, about to be written over.</summary>
    internal void Journal(ChildLog log, int index, in ChildEntry old) => logEntries.Add((log, index, old));

    /// <summary>Records which entry replaced entry <paramref name="index"/> of <paramref name="log"/>, about to change.</summary>
    internal void JournalNext(ChildLog log, int index, int next) => logNexts.Add((log, index, next));

    /// <summary>Records slot <paramref name="index"/> of a large map's table, about to be written.</summary>
    internal void Journal(long[] table, int index) => tableSlots.Add((table, index, table[index]));

    internal void Write(ChildEntry[] array, int index, ChildEntry value)
    {
        entries.Add((array, index, array[index]));
        array[index] = value;
    }
}
