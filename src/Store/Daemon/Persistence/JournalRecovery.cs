using System.Text;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// Reads the snapshot and the journal segments after it, hands every change to the daemon in
/// order, and truncates a torn or corrupt tail of a segment to its last whole record
/// (reporting it). Reading goes on with the next segment: a record torn by a failed append
/// was never acknowledged, and what was appended after it went to a fresh segment.
/// </summary>
internal static class JournalRecovery
{
    public sealed record Result(long LastSegment, List<string> Report);

    public static Result Run(PersistenceOptions options, Action<JournalOp> apply)
    {
        var report = new List<string>();
        long firstSegment = 0;
        var snapshot = options.Path + ".snapshot";
        if (File.Exists(snapshot))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var records = RecordFile.ReadAll(snapshot, out _, out var damage);
            var read = clock.Elapsed;
            if (damage is not null || records.Count < 2 || Encoding.UTF8.GetString(records[^1]) != "end")
                throw new InvalidDataException($"The snapshot {snapshot} is damaged ({damage ?? "incomplete"}); it was written whole and renamed, so the disk itself is at fault. Move it away to start from the journal alone.");
            firstSegment = PersistenceFormat.ReadSnapshotHeader(snapshot, records[0]);
            for (var i = 1; i < records.Count - 1; i++) ApplyRecord(snapshot, i, records[i], apply);
            report.Add($"snapshot: {records.Count - 2} batches, journal from segment {firstSegment} (read {read.TotalMilliseconds:0} ms, applied {(clock.Elapsed - read).TotalMilliseconds:0} ms)");
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
            for (var i = first; i < records.Count; i++) ApplyRecord(path, i, records[i], apply);
            report.Add($"journal segment {number}: {records.Count - first} records (read {read.TotalMilliseconds:0} ms, applied {(clock.Elapsed - read).TotalMilliseconds:0} ms)");
            if (damage is not null)
            {
                report.Add($"journal segment {number}: {damage}; truncated to the last whole record ({intact} bytes)");
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                stream.SetLength(intact);
            }
            last = number;
        }
        return new Result(last, report);
    }

    /// <summary>
    /// Applies one whole record. Its CRC matched, so a record that cannot be read or applied
    /// was not written by this daemon as it stands: recovery stops with a clear refusal
    /// rather than guess, since skipping it could drop acknowledged changes after it.
    /// </summary>
    private static void ApplyRecord(string file, int index, byte[] record, Action<JournalOp> apply)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(record), Encoding.UTF8);
            var count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException($"negative entry count {count}");
            for (var i = 0; i < count; i++) apply(JournalOp.ReadFrom(r));
            if (r.BaseStream.Position != record.Length) throw new InvalidDataException("bytes after the last entry");
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
