using XenStore.Client;
using XenStore.Daemon;
using XenStore.Transport;

namespace XenStore.PowerShell;

/// <summary>How a drive reaches a xenstored: an explicit socket, xenbus device, ring, or embedded daemon, or discovery.</summary>
public static class XenStoreConnector
{
    /// <summary>What was connected, the client, and the daemon when one was started in the session.</summary>
    public sealed record Connection(XenStoreClient Client, XenStoreDaemon? EmbeddedDaemon, string Description);

    /// <summary>
    /// How long a drive's request waits for the xenstored: a daemon that stopped answering
    /// gives an error the user can act on instead of a prompt that never returns.
    /// </summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Discovery as libxenstore does it (XENSTORED_PATH, the standard socket, the xenbus
    /// device); with nothing reachable, null, and the caller decides about an embedded daemon.
    /// </summary>
    public static Connection? Discover()
    {
        var socket = UnixSocketTransport.DefaultPath;
        if (File.Exists(socket))
        {
            try
            {
                return For(XenStoreClient.ConnectSocketAsync(socket).GetAwaiter().GetResult());
            }
            catch (System.Net.Sockets.SocketException) { }
        }
        if (XenbusTransport.DefaultPath is { } device)
        {
            try
            {
                return For(XenStoreClient.ConnectXenbus(device));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    public static Connection Socket(string path) => For(XenStoreClient.ConnectSocketAsync(path).GetAwaiter().GetResult());

    public static Connection Xenbus(string? devicePath) => For(XenStoreClient.ConnectXenbus(devicePath));

    /// <summary>A daemon hosted in this session, reached in-process: the same messages as a real one sees.</summary>
    public static Connection Embedded(XenStoreDaemon? daemon = null)
    {
        var owned = daemon is null;
        daemon ??= new XenStoreDaemon();
        var d = daemon;
        var client = XenStoreClient.Create(new InProcessTransport(d), _ => ValueTask.FromResult<IXenStoreTransport>(new InProcessTransport(d)));
        return For(client, owned ? daemon : null, owned ? "embedded daemon" : "daemon hosted in this session");
    }

    /// <summary>This session as guest <paramref name="domid"/> of the simulated hypervisor in <paramref name="simDirectory"/>.</summary>
    public static Connection Ring(string simDirectory, uint domid)
    {
        var transport = RingTransport.CreateSimulatedGuest(simDirectory, domid);
        return For(XenStoreClient.Create(transport), description: transport.Description);
    }

    private static Connection For(XenStoreClient client, XenStoreDaemon? embedded = null, string? description = null)
    {
        client.RequestTimeout = RequestTimeout;
        return new Connection(client, embedded, description ?? client.Description);
    }
}
