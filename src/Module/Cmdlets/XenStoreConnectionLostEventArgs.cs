namespace XenStore.PowerShell;

/// <summary>
/// What a watcher's ConnectionLost event carries: the exception that ended the connection
/// (a <see cref="XenStore.Client.XenStoreConnectionException"/>), and the watch it ended.
/// </summary>
public sealed class XenStoreConnectionLostEventArgs(Exception exception, string path, string token) : EventArgs
{
    public Exception Exception { get; } = exception;
    public string Path { get; } = path;
    public string Token { get; } = token;

    public override string ToString() => Exception.Message;
}
