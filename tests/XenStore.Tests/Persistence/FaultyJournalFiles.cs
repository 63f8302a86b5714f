using XenStore.Daemon.Persistence;

namespace XenStore.Tests.Persistence;

/// <summary>
/// A disk that fails on demand, through the seam the journal does all its file I/O with
/// (<see cref="PersistenceOptions.Files"/>): appends, fsyncs or file creation throw the
/// IOException the OS would give while a fault is switched on. It also counts what it did,
/// so a test can tell that a fault was really hit and when a snapshot was put in place.
/// </summary>
internal sealed class FaultyJournalFiles : JournalFiles
{
    private readonly object gate = new();
    private Func<IOException>? appendFault;
    private bool partialAppend;
    private Func<IOException>? syncFault;
    private int syncFaultsLeft;
    private Func<IOException>? createFault;
    private long clock;
    private readonly List<long> snapshotsPut = [];

    /// <summary>EIO, as write(2) or fsync(2) report a failing disk.</summary>
    public static IOException Eio() => new("Input/output error", 5);

    /// <summary>ENOSPC, as write(2) reports a full disk.</summary>
    public static IOException Enospc() => new("No space left on device", 28);

    public int AppendFailures { get; private set; }
    public int SyncFailures { get; private set; }
    public int CreateFailures { get; private set; }

    /// <summary>Moment (see <see cref="Now"/>) of the last failed fsync, or -1.</summary>
    public long LastSyncFailure { get; private set; } = -1;

    /// <summary>
    /// Makes every append throw <paramref name="fault"/> (null: appends work). With
    /// <paramref name="partial"/>, half the bytes reach the file first, as a write cut short
    /// by a full or failing disk leaves them.
    /// </summary>
    public void FailAppends(Func<IOException>? fault, bool partial = false)
    {
        lock (gate)
        {
            appendFault = fault;
            partialAppend = partial;
        }
    }

    /// <summary>Makes the next <paramref name="times"/> fsyncs throw (null fault: fsync works).</summary>
    public void FailSyncs(Func<IOException>? fault, int times = int.MaxValue)
    {
        lock (gate)
        {
            syncFault = fault;
            syncFaultsLeft = fault is null ? 0 : times;
        }
    }

    /// <summary>Makes creating a file (a snapshot's temporary file) throw (null: it works).</summary>
    public void FailCreates(Func<IOException>? fault)
    {
        lock (gate) createFault = fault;
    }

    /// <summary>A counter that orders the events this disk saw.</summary>
    public long Now
    {
        get { lock (gate) return clock; }
    }

    /// <summary>Snapshots put in place (renamed onto PATH.snapshot) after moment <paramref name="since"/>.</summary>
    public int SnapshotsPutAfter(long since)
    {
        lock (gate) return snapshotsPut.Count(t => t > since);
    }

    public override JournalFile OpenForAppend(string path) => new FaultyJournalFile(this, path, FileMode.OpenOrCreate);

    public override JournalFile Create(string path)
    {
        lock (gate)
        {
            clock++;
            if (createFault is { } fault)
            {
                CreateFailures++;
                throw fault();
            }
        }
        return new FaultyJournalFile(this, path, FileMode.Create);
    }

    public override void Replace(string from, string to)
    {
        base.Replace(from, to);
        if (to.EndsWith(".snapshot", StringComparison.Ordinal))
            lock (gate) snapshotsPut.Add(++clock);
    }

    private (Func<IOException>? Fault, bool Partial) TakeAppendFault()
    {
        lock (gate)
        {
            clock++;
            if (appendFault is null) return (null, false);
            AppendFailures++;
            return (appendFault, partialAppend);
        }
    }

    private Func<IOException>? TakeSyncFault()
    {
        lock (gate)
        {
            clock++;
            if (syncFault is null || syncFaultsLeft <= 0) return null;
            syncFaultsLeft--;
            SyncFailures++;
            LastSyncFailure = clock;
            return syncFault;
        }
    }

    private sealed class FaultyJournalFile(FaultyJournalFiles disk, string path, FileMode mode) : JournalFile(path, mode)
    {
        public override void Append(ReadOnlySpan<byte> bytes)
        {
            var (fault, partial) = disk.TakeAppendFault();
            if (fault is null)
            {
                base.Append(bytes);
                return;
            }
            if (partial)
            {
                // Half the record lands at the end, but (as JournalFile promises for a failed
                // append) Length stays where it was: written through a second handle.
                using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                RandomAccess.Write(handle, bytes[..(bytes.Length / 2)], Length);
            }
            throw fault();
        }

        public override void Sync()
        {
            if (disk.TakeSyncFault() is { } fault) throw fault();
            base.Sync();
        }
    }
}
