using System.Globalization;
using System.Text;
using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// The write-ahead journal plus snapshots. Changes made while handling a request are
/// gathered and written as one record before any reply or event leaves the daemon, so a
/// change is acknowledged only once it is in the journal, and a transaction is all or
/// nothing. When the journal grows, the immutable root is snapshotted in the background
/// (no lock is held while it is written) and the journal segments it covers are deleted.
/// </summary>
internal sealed class Journal : IDisposable
{
    private const string SnapshotMagic = "XenStorePS snapshot 1";

    private readonly PersistenceOptions options;
    private readonly List<JournalOp> pending = [];
    private readonly Timer? fsyncTimer;
    private readonly object fileGate = new();
    private FileStream segment;
    private long segmentNumber;
    private long segmentBytes;
    private Task snapshotTask = Task.CompletedTask;

    private Journal(PersistenceOptions options, long segmentNumber)
    {
        this.options = options;
        this.segmentNumber = segmentNumber;
        segment = OpenSegment(segmentNumber);
        segmentBytes = segment.Length;
        if (options.Fsync == FsyncPolicy.Interval)
            fsyncTimer = new Timer(_ => Sync(), null, options.FsyncInterval, options.FsyncInterval);
    }

    /// <summary>What recovery found, for the log.</summary>
    public List<string> RecoveryReport { get; } = [];

    /// <summary>Snapshots written since start (for tests and the log).</summary>
    public int SnapshotsTaken { get; private set; }

    public void Record(JournalOp op) => pending.Add(op);

    public bool HasPending => pending.Count > 0;

    /// <summary>Writes the gathered changes as one record (called under the daemon lock, before any output).</summary>
    public void Flush()
    {
        if (pending.Count == 0) return;
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(pending.Count);
            foreach (var op in pending) op.WriteTo(w);
        }
        pending.Clear();
        lock (fileGate)
        {
            RecordFile.Write(segment, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            segment.Flush(flushToDisk: options.Fsync == FsyncPolicy.Always);
            segmentBytes += RecordFile.HeaderSize + buffer.Length;
        }
    }

    /// <summary>True when the journal has grown enough for a snapshot and none is being written.</summary>
    public bool WantsSnapshot => segmentBytes >= options.SnapshotAfterBytes && snapshotTask.IsCompleted;

    /// <summary>
    /// Starts a snapshot of <paramref name="root"/> (taken under the daemon lock, with the
    /// domains and special permissions of the same moment): the journal moves to a new segment
    /// at once, the snapshot is written in the background, then the covered segments go.
    /// </summary>
    public void BeginSnapshot(Node root, IReadOnlyList<JournalOp> state)
    {
        Flush();
        long covered;
        lock (fileGate)
        {
            covered = segmentNumber;
            segment.Flush(flushToDisk: true);
            segment.Dispose();
            segmentNumber++;
            segment = OpenSegment(segmentNumber);
            segmentBytes = 0;
        }
        snapshotTask = Task.Run(() => WriteSnapshot(root, state, covered + 1));
    }

    /// <summary>Waits for a snapshot in progress (shutdown, tests).</summary>
    public void WaitForSnapshot() => snapshotTask.Wait();

    private void WriteSnapshot(Node root, IReadOnlyList<JournalOp> state, long firstLiveSegment)
    {
        var tmp = options.Path + ".snapshot.tmp";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            RecordFile.Write(file, Encoding.UTF8.GetBytes($"{SnapshotMagic}\n{firstLiveSegment.ToString(CultureInfo.InvariantCulture)}"));
            var batch = new List<JournalOp>();
            foreach (var (path, node) in NodeTree.Walk(root, "/"))
            {
                batch.Add(JournalOp.Put(path, node.Value, node.Permissions));
                if (batch.Count == 1024) WriteBatch(file, batch);
            }
            batch.AddRange(state);
            WriteBatch(file, batch);
            RecordFile.Write(file, Encoding.UTF8.GetBytes("end"));
            file.Flush(flushToDisk: true);
        }
        File.Move(tmp, options.Path + ".snapshot", overwrite: true);
        foreach (var (number, path) in Segments(options.Path))
            if (number < firstLiveSegment) File.Delete(path);
        SnapshotsTaken++;
    }

    private static void WriteBatch(Stream file, List<JournalOp> batch)
    {
        if (batch.Count == 0) return;
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(batch.Count);
            foreach (var op in batch) op.WriteTo(w);
        }
        RecordFile.Write(file, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        batch.Clear();
    }

    private void Sync()
    {
        lock (fileGate)
        {
            try { segment.Flush(flushToDisk: true); } catch (ObjectDisposedException) { }
        }
    }

    private FileStream OpenSegment(long number)
    {
        var path = $"{options.Path}.journal.{number.ToString("D8", CultureInfo.InvariantCulture)}";
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        stream.Seek(0, SeekOrigin.End);
        return stream;
    }

    private static IEnumerable<(long Number, string Path)> Segments(string basePath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(basePath))!;
        var prefix = Path.GetFileName(basePath) + ".journal.";
        if (!Directory.Exists(directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(directory, prefix + "*").Order(StringComparer.Ordinal))
            if (long.TryParse(Path.GetFileName(file)[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                yield return (n, file);
    }

    /// <summary>
    /// Reads the snapshot and the journal segments after it, hands every change to
    /// <paramref name="apply"/> in order, truncates a torn or corrupt tail to the last whole
    /// record (reporting it), and opens the journal for appending.
    /// </summary>
    public static Journal Recover(PersistenceOptions options, Action<JournalOp> apply)
    {
        var report = new List<string>();
        long firstSegment = 0;
        var snapshot = options.Path + ".snapshot";
        if (File.Exists(snapshot))
        {
            var records = RecordFile.ReadAll(snapshot, out _, out var damage);
            if (damage is not null || records.Count < 2 || Encoding.UTF8.GetString(records[^1]) != "end")
                throw new InvalidDataException($"The snapshot {snapshot} is damaged ({damage ?? "incomplete"}); it was written whole and renamed, so the disk itself is at fault. Move it away to start from the journal alone.");
            var header = Encoding.UTF8.GetString(records[0]).Split('\n');
            if (header[0] != SnapshotMagic) throw new InvalidDataException($"{snapshot} is not a XenStorePS snapshot.");
            if (header.Length < 2 || !long.TryParse(header[1], NumberStyles.None, CultureInfo.InvariantCulture, out firstSegment))
                throw new InvalidDataException($"{snapshot} has no valid journal segment number.");
            for (var i = 1; i < records.Count - 1; i++) ApplyRecord(snapshot, i, records[i], apply);
            report.Add($"snapshot: {records.Count - 2} batches, journal from segment {firstSegment}");
        }
        var last = firstSegment;
        foreach (var (number, path) in Segments(options.Path))
        {
            if (number < firstSegment)
            {
                File.Delete(path);
                continue;
            }
            var records = RecordFile.ReadAll(path, out var intact, out var damage);
            for (var i = 0; i < records.Count; i++) ApplyRecord(path, i, records[i], apply);
            report.Add($"journal segment {number}: {records.Count} records");
            if (damage is not null)
            {
                report.Add($"journal segment {number}: {damage}; truncated to the last whole record ({intact} bytes)");
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                stream.SetLength(intact);
            }
            last = number;
        }
        var journal = new Journal(options, last);
        journal.RecoveryReport.AddRange(report);
        return journal;
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

    public void Dispose()
    {
        fsyncTimer?.Dispose();
        try { snapshotTask.Wait(); } catch (AggregateException) { }
        Flush();
        lock (fileGate)
        {
            segment.Flush(flushToDisk: true);
            segment.Dispose();
        }
    }
}
