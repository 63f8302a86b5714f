using System.Globalization;
using System.Net.Sockets;

namespace XenStore.Ring;

/// <summary>
/// The simulated hypervisor's event channel: each end binds a Unix datagram socket, and a
/// notification is any datagram sent to the other end's socket. A notification to a socket
/// nobody has bound is dropped, as an event to an unbound port is.
/// </summary>
/// <remarks>
/// .NET unlinks the path a Unix socket was bound to when the socket is disposed, whoever's
/// file is at that path by then. A domain released and introduced again at once has its new
/// channel at daemon.evtchn before the old session's loop closes the old one, so a channel
/// binds under a name of its own and renames the socket into place: disposing it unlinks only
/// that name, long gone, and the channel removes its path itself only while it still holds it.
/// </remarks>
public sealed class UnixDatagramEventChannel : IEventChannel
{
    private static readonly byte[] Doorbell = [1];

    /// <summary>The channel of this process that took each path last (renames and removals happen under this lock).</summary>
    private static readonly Dictionary<string, UnixDatagramEventChannel> Holders = new(StringComparer.Ordinal);
    private static long bindCount;

    private readonly Socket socket;
    private readonly UnixDomainSocketEndPoint peer;
    private readonly byte[] receiveBuffer = new byte[64];

    /// <summary>Binds <paramref name="ownPath"/> (replacing a stale file) and sends to <paramref name="peerPath"/>.</summary>
    public UnixDatagramEventChannel(string ownPath, string peerPath)
    {
        OwnPath = ownPath;
        // Unique across processes (the guest binds in the same directory) and never reused here.
        var bindPath = Path.Combine(Path.GetDirectoryName(ownPath) ?? ".",
            string.Create(CultureInfo.InvariantCulture, $".evtchn-{Environment.ProcessId:x}-{Interlocked.Increment(ref bindCount):x}"));
        socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(bindPath));
            lock (Holders)
            {
                // rename(2): the path names a stale socket or ours, never nothing.
                File.Move(bindPath, ownPath, overwrite: true);
                Holders[ownPath] = this;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        peer = new UnixDomainSocketEndPoint(peerPath);
        // A notification never waits: sendto(2) on a full datagram queue would block the
        // daemon's thread for as long as a guest leaves its end unread. Dropping it is what a
        // real event channel does too: one pending notification already says "look again".
        socket.Blocking = false;
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
            // Nobody bound at the other end (yet), or its queue is full (EAGAIN): a
            // notification is only a hint, one is pending already, and the other end also polls.
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

    /// <summary>Unbinds; removes <see cref="OwnPath"/> unless another channel has taken it since.</summary>
    public void Dispose()
    {
        socket.Dispose();
        lock (Holders)
        {
            if (!Holders.TryGetValue(OwnPath, out var holder) || !ReferenceEquals(holder, this)) return;
            Holders.Remove(OwnPath);
            try { File.Delete(OwnPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
