using System.Net.Sockets;

namespace XenStore.Transport;

/// <summary>A xenstored's Unix stream socket (every connection on it is privileged dom0).</summary>
public sealed class UnixSocketTransport : IXenStoreTransport
{
    private readonly Socket socket;

    private UnixSocketTransport(Socket socket, string path)
    {
        this.socket = socket;
        SocketPath = path;
    }

    /// <summary>The socket connected to.</summary>
    public string SocketPath { get; }
    /// <inheritdoc/>
    public string Description => "socket " + SocketPath;
    /// <inheritdoc/>
    public bool OneMessagePerWrite => false;
    /// <inheritdoc/>
    public bool TolerantReplyMatching => false;

    /// <summary>
    /// The socket path clients use: XENSTORED_PATH, else XENSTORED_RUNDIR/socket, else
    /// /var/run/xenstored/socket (as libxenstore and pyxs look for it).
    /// </summary>
    public static string DefaultPath => ConfiguredPath ?? StandardPath;

    /// <summary>Where xenstored puts its socket when nothing says otherwise.</summary>
    public const string StandardPath = "/var/run/xenstored/socket";

    /// <summary>
    /// The socket the environment names (XENSTORED_PATH, else XENSTORED_RUNDIR/socket), or null.
    /// A socket named there and not reachable is an error, never a reason to look elsewhere:
    /// a mistyped path must not quietly connect somewhere else.
    /// </summary>
    public static string? ConfiguredPath =>
        Environment.GetEnvironmentVariable("XENSTORED_PATH") is { Length: > 0 } path ? path
        : Environment.GetEnvironmentVariable("XENSTORED_RUNDIR") is { Length: > 0 } dir ? Path.Combine(dir, "socket")
        : null;

    /// <summary>The variable <see cref="ConfiguredPath"/> comes from, for messages ("XENSTORED_PATH"), or null.</summary>
    public static string? ConfiguredBy =>
        Environment.GetEnvironmentVariable("XENSTORED_PATH") is { Length: > 0 } ? "XENSTORED_PATH"
        : Environment.GetEnvironmentVariable("XENSTORED_RUNDIR") is { Length: > 0 } ? "XENSTORED_RUNDIR"
        : null;

    /// <summary>
    /// Connects to the socket at <paramref name="path"/> (default <see cref="DefaultPath"/>).
    /// Fails with a <see cref="Client.XenStoreConnectionException"/> that names the path and says
    /// why in words a user can act on ("no such file", "connection refused"), the
    /// <see cref="SocketException"/> inside.
    /// </summary>
    public static async ValueTask<UnixSocketTransport> ConnectAsync(string? path = null, CancellationToken cancellationToken = default)
    {
        path ??= DefaultPath;
        for (var attempt = 1; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                return new UnixSocketTransport(socket, path);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TryAgain or SocketError.WouldBlock && attempt < 100)
            {
                // A full listen backlog (oxenstored keeps a tiny one) answers EAGAIN: try again shortly.
                socket.Dispose();
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new Client.XenStoreConnectionException($"Cannot connect to the xenstored at {path}: {Reason(e, path)}", e);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Why a connect failed. .NET reports a missing socket file as "Cannot assign requested
    /// address" (EADDRNOTAVAIL), which sends a user looking at the network instead of the path.
    /// </summary>
    private static string Reason(SocketException e, string path) => e.SocketErrorCode switch
    {
        _ when !File.Exists(path) => "no such file (is the path right, and is xenstored running?)",
        SocketError.ConnectionRefused => "connection refused: nothing listens on the socket (is xenstored running?)",
        SocketError.AccessDenied => "permission denied (a xenstored's socket is for root only)",
        _ => e.Message,
    };

    /// <inheritdoc/>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>Shuts the socket down and closes it.</summary>
    public ValueTask DisposeAsync()
    {
        try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
