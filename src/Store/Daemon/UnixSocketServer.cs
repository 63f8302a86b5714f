using System.Net.Sockets;

namespace XenStore.Daemon;

/// <summary>
/// Serves a daemon on a Unix stream socket. Every connection is a privileged dom0
/// connection, as in the reference daemons. Each client has its own receive loop and send
/// queue, so a client that stalls only ever stalls itself.
/// </summary>
public sealed class UnixSocketServer : IAsyncDisposable
{
    private readonly XenStoreDaemon daemon;
    private readonly Socket listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly HashSet<SocketSession> sessions = [];
    private readonly Task acceptLoop;
    private int nextSession;

    private UnixSocketServer(XenStoreDaemon daemon, string socketPath)
    {
        this.daemon = daemon;
        SocketPath = socketPath;
        if (File.Exists(socketPath)) File.Delete(socketPath);
        listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        // Like cxenstored: the socket is for root only.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(512);
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public string SocketPath { get; }

    /// <summary>Clients connected now.</summary>
    public int SessionCount
    {
        get { lock (sessions) return sessions.Count; }
    }

    /// <summary>Binds <paramref name="socketPath"/> (replacing a stale socket file) and starts accepting.</summary>
    public static UnixSocketServer Start(XenStoreDaemon daemon, string socketPath) => new(daemon, socketPath);

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) { continue; }
            var connection = daemon.Connect(0, privileged: true, $"socket {Interlocked.Increment(ref nextSession)}");
            var session = new SocketSession(client, connection, Forget);
            lock (sessions) sessions.Add(session);
            session.Start();
        }
    }

    private void Forget(SocketSession session)
    {
        lock (sessions) sessions.Remove(session);
    }

    /// <summary>Stops accepting, closes every client and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        listener.Dispose();
        try { await acceptLoop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        SocketSession[] open;
        lock (sessions) open = sessions.ToArray();
        foreach (var s in open) s.Close();
        try { File.Delete(SocketPath); } catch (IOException) { }
        stopping.Dispose();
    }
}
