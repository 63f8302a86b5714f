namespace XenStore.Daemon;

/// <summary>The daemon's socket cannot be made: the reason is the inner exception's.</summary>
public sealed class SocketUnavailableException(string socketPath, Exception inner)
    : IOException($"cannot serve {socketPath}: {Reason(socketPath, inner)}", inner)
{
    /// <summary>The socket path that could not be served.</summary>
    public string SocketPath { get; } = socketPath;

    private static string Reason(string socketPath, Exception inner) => inner is ArgumentOutOfRangeException
        ? $"the path is too long for a Unix socket ({System.Text.Encoding.UTF8.GetByteCount(socketPath)} bytes)"
        : inner.Message;
}
