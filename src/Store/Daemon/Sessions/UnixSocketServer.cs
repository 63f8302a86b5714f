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
    private readonly DaemonInstanceLock instance;
    private readonly Task acceptLoop;
    private int nextSession;

    private UnixSocketServer(XenStoreDaemon daemon, string socketPath, DaemonInstanceLock instance)
    {
        this.daemon = daemon;
        this.instance = instance;
        SocketPath = socketPath;
        instance.WritePidFile();
        // The lock says no live daemon serves it: a socket file here is a dead daemon's.
        if (File.Exists(socketPath)) File.Delete(socketPath);
        listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            // Like cxenstored: the socket is for root only.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(512);
        }
        catch
        {
            // Closing a bound socket also removes its file.
            listener.Dispose();
            stopping.Dispose();
            throw;
        }
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The socket the server listens on.</summary>
    public string SocketPath { get; }

    /// <summary>Clients connected now.</summary>
    public int SessionCount
    {
        get { lock (sessions) return sessions.Count; }
    }

    /// <summary>
    /// Binds <paramref name="socketPath"/> (replacing a dead daemon's socket file), writes the
    /// pid file and starts accepting. Throws <see cref="XenStoredRunningException"/> when a live
    /// daemon serves the socket, <see cref="SocketUnavailableException"/> when the socket cannot
    /// be made (path too long, something else in its place, no right to write there).
    /// <paramref name="instance"/>, when given, is a lock the caller took earlier (before loading
    /// a persisted store); the server owns it from then on, and gives it back if it fails.
    /// </summary>
    public static UnixSocketServer Start(XenStoreDaemon daemon, string socketPath, DaemonInstanceLock? instance = null)
    {
        instance ??= DaemonInstanceLock.Acquire(socketPath);
        try
        {
            return new(daemon, socketPath, instance);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            instance.Dispose();
            throw new SocketUnavailableException(socketPath, ex);
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

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
        instance.Dispose();
        stopping.Dispose();
    }
}
