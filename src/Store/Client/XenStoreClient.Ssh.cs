using XenStore.Transport;

namespace XenStore.Client;

public sealed partial class XenStoreClient
{
    /// <summary>
    /// Connects to the xenstored of a remote host through OpenSSH (see <see cref="SshTransport"/>):
    /// the user's ssh configuration, keys and known hosts apply. A reconnect opens a new ssh
    /// link to the same remote socket. Fails with <see cref="SshConnectException"/> saying why.
    /// </summary>
    public static async Task<XenStoreClient> ConnectSshAsync(SshConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var transport = await SshTransport.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        // Reconnects go to the socket found the first time, without asking the host again.
        var again = new SshConnectionOptions(options.HostName)
        {
            UserName = options.UserName,
            Port = options.Port,
            KeyFilePath = options.KeyFilePath,
            Options = options.Options,
            RemoteSocketPath = transport.RemoteSocketPath,
            ConnectTimeout = options.ConnectTimeout,
            SshPath = options.SshPath,
        };
        return new XenStoreClient(transport, async ct => await SshTransport.ConnectAsync(again, ct).ConfigureAwait(false));
    }
}
