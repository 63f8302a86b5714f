using System.Management.Automation;
using XenStore.Client;
using XenStore.Daemon;

namespace XenStore.PowerShell;

/// <summary>
/// A XenStore drive: its connection lives here, since the engine makes a new provider
/// instance for every operation. Drives on the session's default store share its connection
/// and name their nodes /path; a drive with a connection of its own names them //drive/path,
/// so an item's PSPath always leads back to the store it came from.
/// </summary>
public sealed class XenStoreDriveInfo : PSDriveInfo, IDisposable
{
    private int disposed;

    /// <param name="drive">Name, provider, description; its Root is a XenStore path (/local/domain/0).</param>
    /// <param name="connection">The connection, shared or the drive's own.</param>
    /// <param name="ownConnection">The drive connected on its own (its paths are then //name/...).</param>
    public XenStoreDriveInfo(PSDriveInfo drive, DriveConnection connection, bool ownConnection)
        : base(drive.Name, drive.Provider, ProviderPath.FromStorePath(ProviderPath.ToStorePath(drive.Root), ownConnection ? "//" + drive.Name : ""),
               drive.Description, drive.Credential)
    {
        DriveConnection = connection;
        StorePrefix = ownConnection ? "//" + drive.Name : "";
        connection.AddUser();
    }

    /// <summary>What the drive's provider paths start with: "" on the default store, "//name" on a store of its own.</summary>
    public string StorePrefix { get; }

    /// <summary>The XenStore path the drive is rooted at.</summary>
    public string StoreRoot => ProviderPath.ToStorePath(Root);

    /// <summary>The connection the drive uses.</summary>
    public DriveConnection DriveConnection { get; }

    /// <summary>The client all operations on this drive use.</summary>
    public XenStoreClient Client => DriveConnection.Client;

    /// <summary>The daemon hosted in this session for the drive, when no xenstored was reachable.</summary>
    public XenStoreDaemon? EmbeddedDaemon => DriveConnection.EmbeddedDaemon;

    /// <summary>How the drive is connected: "socket /run/xenstored/socket", "embedded daemon"...</summary>
    public string Connection => DriveConnection.Description;

    /// <summary>The transaction provider operations join (shared by the drives on one connection).</summary>
    public XenStoreTransaction? Transaction
    {
        get => DriveConnection.Transaction;
        set => DriveConnection.Transaction = value;
    }

    /// <summary>What operations go through: the ambient transaction, or the client.</summary>
    public XenStoreOperations Operations => (XenStoreOperations?)Transaction ?? Client;

    /// <summary>The provider path of a node of this drive's store.</summary>
    public string ProviderPathOf(string storePath) => ProviderPath.FromStorePath(storePath, StorePrefix);

    /// <summary>
    /// The drive whose store a provider path names (an item's PSPath reaches the provider
    /// without a drive): by its //name prefix, or for a plain path the default store's xs:
    /// (or another drive on that store); null when no such drive is mounted.
    /// </summary>
    public static XenStoreDriveInfo? ForPath(ProviderInfo provider, string providerPath) =>
        ForPrefix(provider, ProviderPath.StorePrefix(providerPath));

    /// <summary>A drive on the session's default store (xs: if it is there), whose connection another drive may share.</summary>
    public static XenStoreDriveInfo? OnDefaultStore(ProviderInfo provider) => ForPrefix(provider, "");

    /// <summary>The drive of the store with <paramref name="prefix"/> ("" or "//name"), xs: first on the default one.</summary>
    public static XenStoreDriveInfo? ForPrefix(ProviderInfo provider, string prefix)
    {
        var candidates = provider.Drives.OfType<XenStoreDriveInfo>().Where(d => d.StorePrefix == prefix).ToList();
        return candidates.FirstOrDefault(d => d.Name == "xs") ?? candidates.FirstOrDefault();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) DriveConnection.Release();
    }
}
