using System.Runtime.CompilerServices;
using System.Text;
using XenStore.Protocol;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// Reads the snapshot and the journal segments after it, hands every change to the daemon in
/// order, and truncates a torn or corrupt tail of a segment to its last whole record
/// (reporting it). Reading goes on with the next segment: a record torn by a failed append
/// was never acknowledged, and what was appended after it went to a fresh segment.
/// <para>
/// The loops recovery runs (reading records, checking CRCs, decoding, building the tree,
/// replaying) are marked <see cref="System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization"/>:
/// they run once per start, over a million nodes, so they are compiled optimized at once
/// instead of starting as tier-0 code that tiered compilation would replace only later (on
/// a busy machine, after much of the work): about 15% less CPU for a restart with a journal
/// tail, none lost in steady state, where these methods do not run (the CRC's loop, which
/// appends use, gains nothing from profile-guided compilation).
/// </para>
/// </summary>
internal static class JournalRecovery
{
    public sealed record Result(long LastSegment, List<string> Report);

    /// <summary>
    /// Recovers the store: the nodes (the snapshot's tree with the journal's node changes
    /// replayed on it, see <see cref="ReplayTree"/>) go to <paramref name="load"/> whole, at the
    /// end; the domains' changes go to <paramref name="apply"/> in order as they are read.
    /// </summary>
    public static Result Run(PersistenceOptions options, Action<LoadedTree> load, Action<JournalOp> apply)
    {
        var report = new List<string>();
        var total = System.Diagnostics.Stopwatch.StartNew();
        var (collections, older, full, pause) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        long firstSegment = 0;
        // Node changes go to the replay tree, built into the store once at the end; the
        // domains' changes go to the daemon as they come (they read nothing of the tree).
        ReplayTree? tree = null;
        // Most changes repeat a few permission lists: each distinct text is parsed once and
        // its object shared by every node that has it, as live changes share them.
        var permissionLists = new Dictionary<string, PermissionList>(StringComparer.Ordinal);
        PermissionList permissions(string text)
        {
            if (permissionLists.TryGetValue(text, out var list)) return list;
            list = PermissionList.ParsePersisted(text);
            if (permissionLists.Count < 65536) permissionLists.Add(text, list);
            return list;
        }
        void Route(JournalOp op)
        {
            if (op.Kind is JournalOpKind.PutNode or JournalOpKind.DeleteNode) (tree ??= new ReplayTree(ReplayTree.Empty())).Apply(op);
            else apply(op);
        }
        var snapshot = options.Path + ".snapshot";
        if (File.Exists(snapshot))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var records = RecordFile.ReadAll(snapshot, out _, out var damage);
            var read = clock.Elapsed;
            if (damage is not null || records.Count < 2 || !records[^1].AsSpan().SequenceEqual(PersistenceFormat.SnapshotEnd))
                throw new InvalidDataException($"The snapshot {snapshot} is damaged ({damage ?? "incomplete"}); it was written whole and renamed, so the disk itself is at fault. Move it away to start from the journal alone.");
            (var version, firstSegment) = PersistenceFormat.ReadSnapshotHeader(snapshot, records[0]);
            var what = version == PersistenceFormat.JournalRecordsSnapshotVersion
                ? ApplyJournalRecordsSnapshot(snapshot, records, Route, permissions)
                : LoadTreeSnapshot(snapshot, records, start => tree = new ReplayTree(start), Route, permissions);
            report.Add($"snapshot (format {version}): {what}, journal from segment {firstSegment} (read {read.TotalMilliseconds:0} ms, loaded {(clock.Elapsed - read).TotalMilliseconds:0} ms)");
        }
        var last = firstSegment;
        foreach (var (number, path) in Journal.Segments(options.Path))
        {
            if (number < firstSegment)
            {
                File.Delete(path);
                continue;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var records = RecordFile.ReadAll(path, out var intact, out var damage);
            var read = clock.Elapsed;
            var first = records.Count > 0 && PersistenceFormat.IsSegmentHeader(path, records[0]) ? 1 : 0;
            for (var i = first; i < records.Count; i++) ApplyRecord(path, i, records[i], Route, permissions);
            report.Add($"journal segment {number}: {records.Count - first} records (read {read.TotalMilliseconds:0} ms, applied {(clock.Elapsed - read).TotalMilliseconds:0} ms)");
            if (damage is not null)
            {
                report.Add($"journal segment {number}: {damage}; truncated to the last whole record ({intact} bytes)");
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                stream.SetLength(intact);
            }
            last = number;
        }
        if (tree is not null)
        {
            var building = System.Diagnostics.Stopwatch.StartNew();
            load(tree.Finish());
            report.Add($"store built in {building.Elapsed.TotalMilliseconds:0} ms");
        }
        report.Add($"recovered in {total.Elapsed.TotalMilliseconds:0} ms, of which {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:0} ms in {GC.CollectionCount(0) - collections} garbage collections ({GC.CollectionCount(1) - older} of generation 1, {GC.CollectionCount(2) - full} of them full)");
        return new Result(last, report);
    }

    /// <summary>Version 1: every node is a PUT, replayed like the journal.</summary>
    private static string ApplyJournalRecordsSnapshot(string snapshot, List<byte[]> records, Action<JournalOp> apply, Func<string, PermissionList> permissions)
    {
        for (var i = 1; i < records.Count - 1; i++) ApplyRecord(snapshot, i, records[i], apply, permissions);
        return $"{records.Count - 2} batches";
    }

    /// <summary>Version 2: the tree is built whole, then the domains' state record is replayed; nothing may follow it but "end".</summary>
    private static string LoadTreeSnapshot(string snapshot, List<byte[]> records, Action<LoadedTree> start, Action<JournalOp> apply, Func<string, PermissionList> permissions)
    {
        LoadedTree tree;
        int next;
        try
        {
            tree = TreeSnapshotReader.Load(records, 1, out next);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or DecoderFallbackException)
        {
            throw new InvalidDataException(
                $"{snapshot}: whole (its CRCs match) but not a valid tree ({e.Message}). " +
                "This daemon did not write it so; keep the files for inspection and move them away to start without them.", e);
        }
        if (next != records.Count - 2)
            throw new InvalidDataException($"{snapshot}: {records.Count - 2 - next} records where only the domains' state should follow the tree.");
        start(tree);
        ApplyRecord(snapshot, next, records[next], apply, permissions);
        return $"{tree.Generations} nodes";
    }

    /// <summary>
    /// Applies one whole record. Its CRC matched, so a record that cannot be read or applied
    /// was not written by this daemon as it stands: recovery stops with a clear refusal
    /// rather than guess, since skipping it could drop acknowledged changes after it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyRecord(string file, int index, byte[] record, Action<JournalOp> apply, Func<string, PermissionList> permissions)
    {
        try
        {
            var r = new ByteCursor(record);
            var count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException($"negative entry count {count}");
            for (var i = 0; i < count; i++) apply(JournalOp.ReadFrom(ref r, permissions));
            if (!r.AtEnd) throw new InvalidDataException("bytes after the last entry");
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException or ArgumentException
                                      or OverflowException or InvalidOperationException or DecoderFallbackException)
        {
            throw new InvalidDataException(
                $"{file}: record {index} is whole (its CRC matches) but cannot be replayed ({e.Message}). " +
                "This daemon did not write it so; keep the files for inspection and move them away to start without them.", e);
        }
    }
}
