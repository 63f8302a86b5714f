using System.Globalization;
using System.Text;
using XenStore.Tree;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// The write-ahead journal plus snapshots. The commit path appends each request's changes as
/// one record before anything reports them, so a change is acknowledged only once it is in the
/// journal, and a transaction is all or nothing. When the journal grows, a shared root (which
/// no later change writes into, <see cref="LiveStore.Snapshot"/>) is snapshotted in the background (no lock is held while it is written) and the segments it
/// covers are deleted.
/// <para>
/// Faults lose nothing: an append that fails is cut back off the file (or, if even that
/// fails, the next append starts a fresh segment, so a torn record never hides later ones)
/// and the change is refused; the next append simply tries again, so writes resume as soon
/// as the disk has room. A failed fsync may have dropped data the kernel had accepted
/// (PostgreSQL's lesson), so after one the journal refuses every change until a snapshot
/// written after it holds the whole store. A failed snapshot is logged and retried.
/// </para>
/// </summary>
internal sealed class Journal : IDisposable
{
    private readonly PersistenceOptions options;
    private readonly JournalFiles files;
    private readonly Action<string> log;
    private readonly Timer? fsyncTimer;
    private readonly MemoryStream record = new();

    /// <summary>Guards the segment handles between the daemon's appends and fsyncs from other threads.</summary>
    private readonly object fileGate = new();

    /// <summary>Segments replaced by a newer one, synced and closed by the next fsync or snapshot.</summary>
    private readonly List<(long Number, JournalFile File)> retiring = [];

    private JournalFile segment;
    private long segmentNumber;
    private Task snapshotTask = Task.CompletedTask;
    private long retrySnapshotAt;

    /// <summary>Records appended, and records known to be on disk (fsync always).</summary>
    private long appended, durable;

    /// <summary>A failed append could not be cut back off the file: the next one goes to a fresh segment.</summary>
    private bool mustSwitchSegment;

    /// <summary>Counts failed fsyncs; while one is newer than the last snapshot, changes are refused.</summary>
    private long syncFailures, syncFailuresCovered;

    private Journal(PersistenceOptions options, long segmentNumber, Action<string> log)
    {
        this.options = options;
        files = options.Files;
        this.log = log;
        this.segmentNumber = segmentNumber;
        segment = OpenSegment(segmentNumber);
        if (options.Fsync == FsyncPolicy.Interval)
            fsyncTimer = new Timer(_ => SyncFromTimer(), null, options.FsyncInterval, options.FsyncInterval);
    }

    /// <summary>What recovery found, for the log.</summary>
    public List<string> RecoveryReport { get; } = [];

    /// <summary>Snapshots written since start (for tests and the log).</summary>
    public int SnapshotsTaken { get; private set; }

    /// <summary>True while an fsync failure is not yet covered by a snapshot: changes are refused.</summary>
    public bool MustSnapshot => Interlocked.Read(ref syncFailures) != Interlocked.Read(ref syncFailuresCovered);

    /// <summary>True when replies must wait for <see cref="WaitDurable"/> (fsync always).</summary>
    public bool SyncsEachChange => options.Fsync == FsyncPolicy.Always;

    /// <summary>
    /// Appends one request's changes as one record (under the daemon lock) and returns its
    /// sequence number for <see cref="WaitDurable"/>. Throws <see cref="JournalUnavailableException"/>
    /// when the change cannot be kept; the file is then as it was.
    /// </summary>
    public long Append(List<JournalOp> entries)
    {
        if (MustSnapshot)
            throw new JournalUnavailableException(Protocol.XenStoreErrorCode.EIO, "an fsync of the journal failed; changes wait for a snapshot of the store");
        if (mustSwitchSegment) SwitchSegment();
        var bytes = Encode(entries, record);
        var before = segment.Length;
        try
        {
            segment.Append(bytes);
        }
        catch (IOException ex)
        {
            try
            {
                segment.Truncate(before);
            }
            catch (IOException)
            {
                mustSwitchSegment = true;
            }
            throw JournalUnavailableException.From(ex, $"cannot append to {segment.Path}");
        }
        return ++appended;
    }

    /// <summary>
    /// Makes every record up to <paramref name="sequence"/> durable (fsync always), outside the
    /// daemon lock; concurrent callers share one fsync. False when the fsync failed.
    /// </summary>
    public bool WaitDurable(long sequence)
    {
        lock (fileGate)
        {
            if (Interlocked.Read(ref durable) >= sequence) return true;
            var upTo = Interlocked.Read(ref appended);
            if (!SyncAll()) return false;
            Interlocked.Exchange(ref durable, upTo);
            return true;
        }
    }

    /// <summary>True when the journal wants a snapshot (grown, or an fsync failed) and may start one now.</summary>
    public bool WantsSnapshot =>
        (segment.Length >= options.SnapshotAfterBytes || MustSnapshot || mustSwitchSegment)
        && snapshotTask.IsCompleted && Environment.TickCount64 >= retrySnapshotAt;

    /// <summary>
    /// Starts a snapshot of <paramref name="root"/> (taken under the daemon lock, with the
    /// domains and special permissions of the same moment): the journal moves to a new segment
    /// at once, the snapshot is written in the background, then the covered segments go.
    /// </summary>
    public void BeginSnapshot(Node root, IReadOnlyList<JournalOp> state)
    {
        var failuresCovered = Interlocked.Read(ref syncFailures);
        try
        {
            SwitchSegment();
        }
        catch (JournalUnavailableException ex)
        {
            SnapshotFailed(ex.Message);
            return;
        }
        var firstLive = segmentNumber;
        snapshotTask = Task.Run(() => WriteSnapshot(root, state, firstLive, failuresCovered));
    }

    /// <summary>
    /// At a clean stop: starts a snapshot of <paramref name="root"/> (with <paramref name="state"/>),
    /// which <see cref="Dispose"/> waits for, when the journal since the last snapshot has grown past an eighth of
    /// <see cref="PersistenceOptions.SnapshotAfterBytes"/>, so that the next start loads
    /// the snapshot alone instead of replaying that tail change by change (the slow part of
    /// a restart). A small tail is cheaper to replay than the whole store is to write. If the
    /// snapshot fails, the journal still holds everything.
    /// </summary>
    public void SnapshotBeforeClosing(Node root, IReadOnlyList<JournalOp> state)
    {
        try { snapshotTask.Wait(); } catch (AggregateException) { }
        if (segment.Length < options.SnapshotAfterBytes / 8 && !MustSnapshot && !mustSwitchSegment) return;
        BeginSnapshot(root, state);
    }

    /// <summary>Waits for a snapshot in progress (shutdown, tests).</summary>
    public void WaitForSnapshot() => snapshotTask.Wait();

    /// <summary>One record of <paramref name="entries"/> (their count, then each), framed; <paramref name="scratch"/> is reused by one thread.</summary>
    internal static byte[] Encode(IReadOnlyList<JournalOp> entries, MemoryStream scratch)
    {
        scratch.SetLength(0);
        using (var w = new BinaryWriter(scratch, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(entries.Count);
            foreach (var op in entries) op.WriteTo(w);
        }
        return RecordFile.Frame(scratch.GetBuffer().AsSpan(0, (int)scratch.Length));
    }

    /// <summary>Moves appending to the next segment; the old one is synced and closed later.</summary>
    private void SwitchSegment()
    {
        JournalFile next;
        try
        {
            next = OpenSegment(segmentNumber + 1);
        }
        catch (IOException ex)
        {
            throw JournalUnavailableException.From(ex, $"cannot start journal segment {segmentNumber + 1}");
        }
        lock (fileGate)
        {
            retiring.Add((segmentNumber, segment));
            segment = next;
            segmentNumber++;
            mustSwitchSegment = false;
        }
    }

    /// <summary>Opens a segment for appending; a new one gets its format header first.</summary>
    private JournalFile OpenSegment(long number)
    {
        var file = files.OpenForAppend(SegmentPath(options.Path, number));
        try
        {
            if (file.Length == 0) file.Append(RecordFile.Frame(PersistenceFormat.SegmentHeader()));
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>fsyncs retired segments (closing them) and the current one, under the file gate. False on failure.</summary>
    private bool SyncAll()
    {
        try
        {
            while (retiring.Count > 0)
            {
                retiring[0].File.Sync();
                retiring[0].File.Dispose();
                retiring.RemoveAt(0);
            }
            segment.Sync();
            return true;
        }
        catch (IOException ex)
        {
            Interlocked.Increment(ref syncFailures);
            log($"journal: fsync failed ({ex.Message}); changes are refused until a snapshot holds the store");
            return false;
        }
    }

    /// <summary>The fsync timer: whatever happens, it never throws on its thread.</summary>
    private void SyncFromTimer()
    {
        try
        {
            lock (fileGate)
            {
                var upTo = Interlocked.Read(ref appended);
                if (SyncAll()) Interlocked.Exchange(ref durable, upTo);
            }
        }
        catch (Exception ex)
        {
            log($"journal: fsync timer: {ex.Message}");
        }
    }

    private void WriteSnapshot(Node root, IReadOnlyList<JournalOp> state, long firstLiveSegment, long failuresCovered)
    {
        var tmp = options.Path + ".snapshot.tmp";
        try
        {
            using (var file = files.Create(tmp))
            {
                TreeSnapshotWriter.Write(file, root, state, firstLiveSegment);
                file.Sync();
            }
            files.Replace(tmp, options.Path + ".snapshot");
        }
        catch (Exception ex)
        {
            try { files.Delete(tmp); } catch (IOException) { }
            SnapshotFailed(ex.Message);
            return;
        }
        // The snapshot holds everything the covered segments did: they may go, and so may an
        // fsync failure that happened before it was taken.
        lock (fileGate)
        {
            foreach (var (_, old) in retiring.Where(r => r.Number < firstLiveSegment)) old.Dispose();
            retiring.RemoveAll(r => r.Number < firstLiveSegment);
        }
        foreach (var (number, path) in Segments(options.Path))
        {
            if (number >= firstLiveSegment) continue;
            try { files.Delete(path); } catch (IOException ex) { log($"journal: cannot delete {path}: {ex.Message}"); }
        }
        var wasRefusing = MustSnapshot;
        InterlockedMax(ref syncFailuresCovered, failuresCovered);
        if (wasRefusing && !MustSnapshot) log("journal: snapshot written; changes are accepted again");
        SnapshotsTaken++;
    }

    private void SnapshotFailed(string reason)
    {
        retrySnapshotAt = Environment.TickCount64 + (long)options.SnapshotRetryDelay.TotalMilliseconds;
        log($"journal: snapshot failed ({reason}); retrying in {options.SnapshotRetryDelay.TotalSeconds:0.#} s");
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    internal static string SegmentPath(string basePath, long number) =>
        $"{basePath}.journal.{number.ToString("D8", CultureInfo.InvariantCulture)}";

    internal static IEnumerable<(long Number, string Path)> Segments(string basePath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(basePath))!;
        var prefix = Path.GetFileName(basePath) + ".journal.";
        if (!Directory.Exists(directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(directory, prefix + "*").Order(StringComparer.Ordinal))
            if (long.TryParse(Path.GetFileName(file)[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                yield return (n, file);
    }

    /// <summary>Recovers the store (see <see cref="JournalRecovery"/>) and opens the journal after its last segment.</summary>
    public static Journal Open(PersistenceOptions options, Action<LoadedTree> load, Action<JournalOp> apply, Action<string> log)
    {
        var recovery = JournalRecovery.Run(options, load, apply);
        var journal = new Journal(options, recovery.LastSegment, log);
        journal.RecoveryReport.AddRange(recovery.Report);
        return journal;
    }

    public void Dispose()
    {
        fsyncTimer?.Dispose();
        try { snapshotTask.Wait(); } catch (AggregateException) { }
        lock (fileGate)
        {
            if (options.Fsync != FsyncPolicy.Never) SyncAll();
            foreach (var (_, old) in retiring) old.Dispose();
            retiring.Clear();
            segment.Dispose();
        }
    }
}
