using XenStore.Protocol;

namespace XenStore.Transport;

/// <summary>
/// A remote host's xenstored, reached through OpenSSH: an ssh child process forwards a Unix
/// socket of its own (in a private temporary directory) to the xenstored's socket on the host
/// (ssh -N -L local:remote, ExitOnForwardFailure), and this transport is a connection to that
/// local socket. It owns the ssh process: disposing it, or the end of this process, kills ssh.
/// Each connection is a new ssh (a client reconnects by opening another).
/// </summary>
public sealed class SshTransport : IXenStoreTransport
{
    private readonly SshProcess ssh;
    private readonly UnixSocketTransport socket;
    private readonly SshConnectionOptions options;

    private SshTransport(SshConnectionOptions options, string remoteSocketPath, SshProcess ssh, UnixSocketTransport socket)
    {
        this.options = options;
        RemoteSocketPath = remoteSocketPath;
        this.ssh = ssh;
        this.socket = socket;
    }

    /// <summary>The xenstored's socket on the remote host.</summary>
    public string RemoteSocketPath { get; }

    /// <summary>The ssh process carrying this connection.</summary>
    public int SshProcessId => ssh.Id;

    /// <inheritdoc/>
    public string Description => $"ssh {options} {RemoteSocketPath} (ssh pid {ssh.Id})";

    /// <inheritdoc/>
    public bool OneMessagePerWrite => false;

    /// <inheritdoc/>
    public bool TolerantReplyMatching => false;

    /// <summary>
    /// Opens the link and checks that a xenstored answers at its far end (one GET_DOMAIN_PATH),
    /// all within <see cref="SshConnectionOptions.ConnectTimeout"/>. Fails with an
    /// <see cref="SshConnectException"/> that says why: ssh missing, host unreachable, unknown
    /// host key, login refused, no daemon on the host, or timed out.
    /// </summary>
    public static async Task<SshTransport> ConnectAsync(SshConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var remote = options.RemoteSocketPath ?? await AskRemoteSocketPathAsync(options, cancellationToken).ConfigureAwait(false);
        // Short: a Unix socket path must stay under 108 bytes. Created 0700, so only we can use it.
        var directory = Directory.CreateTempSubdirectory("xsps-ssh-").FullName;
        var local = Path.Combine(directory, "s");
        SshProcess? ssh = null;
        UnixSocketTransport? socket = null;
        try
        {
            ssh = SshProcess.Start(options, ["-N", "-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindMask=0177",
                "-L", $"{local}:{remote}", "--", options.HostName], ownedDirectory: directory);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(options.ConnectTimeout);
            try
            {
                socket = await ConnectLocalAsync(ssh, options, local, bounded.Token).ConfigureAwait(false);
                await ProbeAsync(socket, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SshConnectException(SshFailure.TimedOut, options.HostName,
                    $"Cannot reach the xenstored on {options} ({remote}): nothing settled within {options.ConnectTimeout.TotalSeconds:0.###} s{Said(ssh)}.");
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or Client.XenStoreConnectionException && e is not SshConnectException)
            {
                // ssh accepted the local connection and closed it: it could not reach the remote socket.
                // Unless ssh itself went (and says why), then that is the cause.
                if (await ssh.WaitForExitAsync(TimeSpan.FromMilliseconds(300), cancellationToken).ConfigureAwait(false)
                    && !ssh.ErrorOutput.Contains("open failed", StringComparison.Ordinal))
                    throw ssh.Failure(options, "open an ssh link to");
                throw new SshConnectException(SshFailure.RemoteDaemonUnavailable, options.HostName,
                    $"Logged in to {options}, but no xenstored answers at {remote} there (is it running, is the path right?){Said(ssh)}.", e);
            }
            return new SshTransport(options, remote, ssh, socket);
        }
        catch
        {
            if (socket is not null) await socket.DisposeAsync().ConfigureAwait(false);
            if (ssh is null) SshProcess.DeleteDirectory(directory);
            else ssh.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The local end of the forward, once ssh has logged in and listens there (it binds the
    /// socket, then listens: a connect in between is refused, and is tried again).
    /// </summary>
    private static async Task<UnixSocketTransport> ConnectLocalAsync(SshProcess ssh, SshConnectionOptions options, string local, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (ssh.HasExited) throw ssh.Failure(options, "open an ssh link to");
            if (File.Exists(local))
            {
                try
                {
                    return await UnixSocketTransport.ConnectAsync(local, cancellationToken).ConfigureAwait(false);
                }
                catch (Client.XenStoreConnectionException) { }
            }
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The socket the remote host's environment names, as its own xenstore tools would find it
    /// (XENSTORED_PATH, XENSTORED_RUNDIR/socket, /var/run/xenstored/socket); also the first
    /// login, so a refused one is reported before any tunnel, and a missing socket is named.
    /// </summary>
    private static async Task<string> AskRemoteSocketPathAsync(SshConnectionOptions options, CancellationToken cancellationToken)
    {
        const string Marker = "xenstored-socket=";
        const string Command = "p=\"${XENSTORED_PATH:-${XENSTORED_RUNDIR:-/var/run/xenstored}/socket}\"; printf 'xenstored-socket=%s\\n' \"$p\"; test -S \"$p\"";
        using var ssh = SshProcess.Start(options, ["-T", "--", options.HostName, Command]);
        // ConnectTimeout bounds the TCP connect only; a login that stalls is bounded here.
        if (!await ssh.WaitForExitAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false))
            throw new SshConnectException(SshFailure.TimedOut, options.HostName,
                $"Cannot reach {options}: no answer within {options.ConnectTimeout.TotalSeconds:0.###} s{Said(ssh)}.");
        // The output is read asynchronously: after the exit, wait for its end before reading it.
        await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        // Only the marked line: a login banner or a shell's chatter is not the answer.
        var path = ssh.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal))?[Marker.Length..] ?? "";
        return ssh.ExitCode switch
        {
            0 when path.Length > 0 => path,
            1 when path.Length > 0 => throw new SshConnectException(SshFailure.RemoteDaemonUnavailable, options.HostName,
                $"Logged in to {options}, but there is no xenstored socket at {path} there (is xenstored running? -SocketPath names another socket)."),
            255 => throw ssh.Failure(options, "log in to"),
            _ => throw new SshConnectException(SshFailure.Failed, options.HostName,
                $"Logged in to {options}, but a shell command to find its xenstored socket failed (status {ssh.ExitCode}: {ssh.Output.Trim()}{ssh.ErrorOutput}); name the socket with -SocketPath."),
        };
    }

    /// <summary>One GET_DOMAIN_PATH 0, read to its end: any reply proves a xenstored is there.</summary>
    private static async Task ProbeAsync(UnixSocketTransport socket, CancellationToken cancellationToken)
    {
        var request = new Message(MessageType.GetDomainPath, uint.MaxValue, 0, Wire.Encode("0\0")).ToBytes();
        await socket.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var header = new byte[Wire.HeaderSize];
        await ReadExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false);
        var length = Wire.ReadHeader(header).Length;
        if (length > Wire.PayloadMax) throw new IOException("the far end does not speak the XenStore protocol");
        await ReadExactlyAsync(socket, new byte[length], cancellationToken).ConfigureAwait(false);
    }

    private static async Task ReadExactlyAsync(UnixSocketTransport socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var n = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new IOException("the ssh link closed the connection");
            buffer = buffer[n..];
        }
    }

    private static string Said(SshProcess? ssh) => ssh?.ErrorOutput is { Length: > 0 } said ? $" (ssh: {said.ReplaceLineEndings(" / ")})" : "";

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => socket.SendAsync(data, cancellationToken);

    /// <summary>Receives bytes; when the link ended because ssh did, says so (with what ssh said) rather than blaming the xenstored.</summary>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var n = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n == 0 && await ssh.WaitForExitAsync(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false))
            throw new IOException($"the ssh link to {options} ended (ssh exited with status {ssh.ExitCode}){Said(ssh)}");
        return n;
    }

    /// <summary>Closes the connection, kills ssh and removes the local socket's directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await socket.DisposeAsync().ConfigureAwait(false);
        ssh.Dispose();
    }

    /// <summary>Kills every ssh link this process still has open (the PowerShell module calls it when it is removed).</summary>
    public static void CloseAll() => SshProcess.KillAll();
}
