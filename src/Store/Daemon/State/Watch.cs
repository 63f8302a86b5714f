namespace XenStore.Daemon;

/// <summary>One registered watch: a canonical path (or special name) and a token, on a connection.</summary>
internal sealed class Watch(DaemonConnection owner, string path, string token, bool relative, long sequence)
{
    public DaemonConnection Owner { get; } = owner;

    /// <summary>Absolute path, or a special name such as "@releaseDomain".</summary>
    public string Path { get; } = path;

    public string Token { get; } = token;

    /// <summary>Registered with a relative path: events are reported relative to the domain home.</summary>
    public bool Relative { get; } = relative;

    /// <summary>Registration order; C delivers a connection's matching watches in this order.</summary>
    public long Sequence { get; } = sequence;
}
