using System.Net.Sockets;

namespace XenStore.Ring;

/// <summary>
/// The simulated hypervisor's event channel: each end binds a Unix datagram socket, and a
/// notification is any datagram sent to the other end's socket. A notification to a socket
/// nobody has bound is dropped, as an event to an unbound port is.
/// </summary>
public sealed class UnixDatagramEventChannel : IEventChannel
{
    private static readonly byte[] Doorbell = [1];
    private readonly Socket socket;
    private readonly UnixDomainSocketEndPoint peer;
    private readonly byte[] receiveBuffer = new byte[64];

    /// <summary>Binds <paramref name="ownPath"/> (replacing a stale file) and sends to <paramref name="peerPath"/>.</summary>
    public UnixDatagramEventChannel(string ownPath, string peerPath)
    {
        OwnPath = ownPath;
        if (File.Exists(ownPath)) File.Delete(ownPath);
        socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(ownPath));
        peer = new UnixDomainSocketEndPoint(peerPath);
    }

    /// <summary>The socket this end bound.</summary>
    public string OwnPath { get; }

    /// <inheritdoc/>
    public void Notify()
    {
        try
        {
            socket.SendTo(Doorbell, SocketFlags.None, peer);
        }
        catch (SocketException)
        {
            // Nobody bound at the other end (yet), or its queue is full: a notification is
            // only a hint, and the other end also polls.
        }
        catch (ObjectDisposedException) { }
    }

    /// <inheritdoc/>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        await socket.ReceiveAsync(receiveBuffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        // Drain notifications that piled up meanwhile: one look at the ring serves them all.
        while (socket.Available > 0) socket.Receive(receiveBuffer);
    }

    /// <summary>Closes the socket and removes its file.</summary>
    public void Dispose()
    {
        socket.Dispose();
        try { File.Delete(OwnPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
