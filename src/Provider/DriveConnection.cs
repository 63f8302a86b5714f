using XenStore.Client;
using XenStore.Daemon;

namespace XenStore.PowerShell;

/// <summary>
/// One connection to a xenstored and what rides on it: drives on the same store share it (xs:
/// and a drive made with New-PSDrive -Root /local/domain/0 are two views of one store), and
/// so does the ambient transaction. It is closed when the last drive using it is removed.
/// </summary>
public sealed class DriveConnection
{
    private int users;

    public DriveConnection(XenStoreClient client, XenStoreDaemon? embeddedDaemon, string description)
    {
        Client = client;
        EmbeddedDaemon = embeddedDaemon;
        Description = description;
    }

    /// <summary>The client all operations on the connection's drives use.</summary>
    public XenStoreClient Client { get; }

    /// <summary>The daemon hosted in this session for the connection, when no xenstored was reachable.</summary>
    public XenStoreDaemon? EmbeddedDaemon { get; }

    /// <summary>How it is connected: "socket /run/xenstored/socket", "embedded daemon"...</summary>
    public string Description { get; }

    /// <summary>Children lists read ahead for the engine's own recursive walks.</summary>
    internal ListingCache Listings { get; } = new();

    /// <summary>The transaction provider operations join, between Start- and Complete-/Undo-XenStoreTransaction.</summary>
    public XenStoreTransaction? Transaction { get; set; }

    /// <summary>Paths Set-Content is about to replace (its clear step writes nothing): path → thread.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> replacements = new(StringComparer.Ordinal);

    internal void ExpectReplacement(string path) => replacements[path] = Environment.CurrentManagedThreadId;

    /// <summary>Whether a content writer for <paramref name="path"/> replaces the value (Set-Content) or appends (Add-Content).</summary>
    internal bool TakeReplacement(string path) =>
        replacements.TryRemove(path, out var thread) && thread == Environment.CurrentManagedThreadId;

    internal void AddUser() => Interlocked.Increment(ref users);

    internal void Release()
    {
        if (Interlocked.Decrement(ref users) > 0) return;
        Client.Dispose();
        EmbeddedDaemon?.Dispose();
    }
}
