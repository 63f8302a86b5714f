namespace XenStore.Daemon;

/// <summary>What the daemon knows of one guest domain.</summary>
internal sealed class Domain(uint id, QuotaSettings quotas)
{
    public uint Id { get; } = id;

    /// <summary>Introduced and not yet released or destroyed.</summary>
    public bool Introduced { get; set; }

    /// <summary>Frame of the ring page and event channel port, as INTRODUCE gave them.</summary>
    public ulong RingFrame { get; set; }
    public uint Port { get; set; }

    /// <summary>The domain this one acts for (SET_TARGET), kept by id so nothing dangles (XSA-233).</summary>
    public uint? Target { get; set; }

    /// <summary>@releaseDomain already fired for the current shutdown; RESUME re-arms it.</summary>
    public bool ShutdownReported { get; set; }

    /// <summary>This domain's quotas (copied from the defaults, changeable with SET_QUOTA).</summary>
    public QuotaSettings Quotas { get; } = quotas;

    /// <summary>Server feature bits for its ring (SET_FEATURE before INTRODUCE).</summary>
    public uint Features { get; set; } = Handlers.FeatureQuotaHandlers.SupportedFeatures;

    /// <summary>The session serving its ring, when there is one.</summary>
    public RingSession? Ring { get; set; }

    /// <summary>The connection of its ring, when there is one.</summary>
    public DaemonConnection? Connection => Ring?.Connection;

    /// <summary>
    /// Watches of its ring connection read back from the journal, waiting for the ring to be
    /// served again after a restart (as cxenstored's live update keeps them).
    /// </summary>
    public List<SavedWatch> SavedWatches { get; } = [];
}

/// <summary>A watch as the journal keeps it.</summary>
internal sealed record SavedWatch(string Path, string Token, bool Relative);
