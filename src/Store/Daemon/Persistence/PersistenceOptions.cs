namespace XenStore.Daemon.Persistence;

/// <summary>When journal writes are forced to disk.</summary>
public enum FsyncPolicy
{
    /// <summary>Every acknowledged change is on disk before its reply leaves: survives power loss.</summary>
    Always,
    /// <summary>Written to the OS before the reply (survives a crash or SIGKILL of the daemon), forced to disk every interval.</summary>
    Interval,
    /// <summary>Written to the OS before the reply; the OS decides when it reaches the disk.</summary>
    Never,
}

/// <summary>Where and how the daemon keeps the store across restarts.</summary>
public sealed class PersistenceOptions
{
    /// <summary>Keeps the store beside <paramref name="path"/> (see <see cref="Path"/>).</summary>
    public PersistenceOptions(string path) => Path = path;

    /// <summary>Base path: PATH.snapshot and PATH.journal.NNNNNNNN live beside it.</summary>
    public string Path { get; }

    /// <summary>When journal writes are forced to disk (default: every <see cref="FsyncInterval"/>).</summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Interval;

    /// <summary>How often the journal is forced to disk under <see cref="FsyncPolicy.Interval"/>.</summary>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Journal bytes after which a snapshot is taken and older journal segments go.</summary>
    public long SnapshotAfterBytes { get; init; } = 16 << 20;

    /// <summary>How long after a failed snapshot the next attempt starts.</summary>
    internal TimeSpan SnapshotRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How files are written (tests substitute failing ones).</summary>
    internal JournalFiles Files { get; init; } = new();
}
