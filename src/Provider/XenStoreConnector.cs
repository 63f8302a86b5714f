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
    /// Discovery as libxenstore does it: the socket XENSTORED_PATH (or XENSTORED_RUNDIR) names,
    /// and only that; without either, the standard socket, then the xenbus device. With nothing
    /// configured and nothing reachable, null, and the caller decides about an embedded daemon.
    /// A configured socket that cannot be reached throws <see cref="XenStoreConnectionException"/>
    /// naming it: a mistyped path must not quietly give a throwaway store instead.
    /// </summary>
    public static Connection? Discover()
    {
        if (UnixSocketTransport.ConfiguredPath is not null) return DefaultSocket();
        if (File.Exists(UnixSocketTransport.StandardPath))
        {
            try
            {
                return Socket(UnixSocketTransport.StandardPath);
            }
            catch (XenStoreConnectionException) { }
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

    /// <summary>
    /// The xs: drive's connection: what <see cref="Discover"/> finds, else an embedded daemon
    /// (announced through <paramref name="warn"/>); null, with a warning naming the path and the
    /// reason, when the configured socket cannot be reached, and then there is no xs: drive.
    /// </summary>
    public static Connection? ForDefaultDrive(Action<string> warn)
    {
        Connection? connection;
        try
        {
            connection = Discover();
        }
        catch (XenStoreConnectionException e)
        {
            warn($"xs: is not mounted. {e.Message} Correct or unset {UnixSocketTransport.ConfiguredBy}, then mount it with Connect-XenStore -Name xs.");
            return null;
        }
        if (connection is not null) return connection;
        warn("No xenstored is reachable (no socket, no xenbus device): xs: is served by a XenStore daemon embedded in this session. Its contents live only as long as the session.");
        return Embedded();
    }

    /// <summary>The socket the environment names (XENSTORED_PATH, XENSTORED_RUNDIR), else the standard one; a failure names the path, the variable and the reason.</summary>
    public static Connection DefaultSocket()
    {
        if (UnixSocketTransport.ConfiguredPath is not { } configured) return Socket(UnixSocketTransport.StandardPath);
        try
        {
            return Socket(configured);
        }
        catch (XenStoreConnectionException e)
        {
            throw new XenStoreConnectionException($"{UnixSocketTransport.ConfiguredBy} names {configured}, which cannot be reached: {e.Message}", e.InnerException ?? e);
        }
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

    /// <summary>
    /// A remote host's xenstored through an ssh link this connection owns (see
    /// <see cref="SshTransport"/>); a reconnect opens a new link.
    /// </summary>
    public static Connection Ssh(SshConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var client = XenStoreClient.ConnectSshAsync(options, cancellationToken).GetAwaiter().GetResult();
        // The drive's description names the host, not the ssh process: a reconnect starts another.
        return For(client, description: $"ssh {options}");
    }

    /// <summary>This session as guest <paramref name="domid"/> of the simulated hypervisor in <paramref name="simDirectory"/>.</summary>
    public static Connection Ring(string simDirectory, uint domid)
    {
        var transport = RingTransport.CreateSimulatedGuest(simDirectory, domid);
        return For(XenStoreClient.Create(transport), description: transport.Description);
    }

    /// <summary>
    /// A drive's client: requests time out, and the first request after a lost connection
    /// reopens it once (a xenstored restart does not leave the drive dead; a ring cannot be
    /// reopened this way and stays lost).
    /// </summary>
    private static Connection For(XenStoreClient client, XenStoreDaemon? embedded = null, string? description = null)
    {
        client.RequestTimeout = RequestTimeout;
        client.AutoReconnect = true;
        return new Connection(client, embedded, description ?? client.Description);
    }
}
