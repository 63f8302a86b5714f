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

    public string SocketPath { get; }
    public string Description => "socket " + SocketPath;
    public bool OneMessagePerWrite => false;
    public bool TolerantReplyMatching => false;

    /// <summary>
    /// The socket path clients use: XENSTORED_PATH, else XENSTORED_RUNDIR/socket, else
    /// /var/run/xenstored/socket (as libxenstore and pyxs look for it).
    /// </summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("XENSTORED_PATH") is { Length: > 0 } path ? path
        : Environment.GetEnvironmentVariable("XENSTORED_RUNDIR") is { Length: > 0 } dir ? Path.Combine(dir, "socket")
        : "/var/run/xenstored/socket";

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
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public ValueTask DisposeAsync()
    {
        try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
