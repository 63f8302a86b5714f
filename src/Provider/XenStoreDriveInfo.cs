using System.Management.Automation;
using XenStore.Client;
using XenStore.Daemon;

namespace XenStore.PowerShell;

/// <summary>
/// A XenStore drive: its connection lives here, since the engine makes a new provider
/// instance for every operation. It may own an embedded daemon, and may carry an ambient
/// transaction that every provider operation on the drive joins.
/// </summary>
public sealed class XenStoreDriveInfo : PSDriveInfo, IDisposable
{
    public XenStoreDriveInfo(PSDriveInfo drive, XenStoreClient client, XenStoreDaemon? embeddedDaemon, string connectionDescription)
        : base(drive)
    {
        Client = client;
        EmbeddedDaemon = embeddedDaemon;
        Connection = connectionDescription;
    }

    /// <summary>The client all operations on this drive use.</summary>
    public XenStoreClient Client { get; }

    /// <summary>The daemon hosted in this session for the drive, when no xenstored was reachable.</summary>
    public XenStoreDaemon? EmbeddedDaemon { get; }

    /// <summary>How the drive is connected: "socket /run/xenstored/socket", "embedded daemon"...</summary>
    public string Connection { get; }

    /// <summary>The transaction provider operations join, between Start- and Complete-/Undo-XenStoreTransaction.</summary>
    public XenStoreTransaction? Transaction { get; set; }

    /// <summary>What operations go through: the ambient transaction, or the client.</summary>
    public XenStoreOperations Operations => (XenStoreOperations?)Transaction ?? Client;

    public void Dispose()
    {
        Client.Dispose();
        EmbeddedDaemon?.Dispose();
    }
}
