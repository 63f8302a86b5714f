namespace XenStore.Daemon;

/// <summary>Serves a daemon on a Unix stream socket; every connection is privileged dom0. (Stub.)</summary>
public sealed class UnixSocketServer : IAsyncDisposable
{
    private UnixSocketServer(string path) => SocketPath = path;

    public string SocketPath { get; }

    /// <summary>Binds <paramref name="socketPath"/> and starts accepting connections.</summary>
    public static UnixSocketServer Start(XenStoreDaemon daemon, string socketPath) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
