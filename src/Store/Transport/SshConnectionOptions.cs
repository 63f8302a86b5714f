namespace XenStore.Transport;

/// <summary>
/// Where and how <see cref="SshTransport"/> reaches a remote xenstored: the host as OpenSSH
/// names it (the user's ~/.ssh/config, keys and known hosts apply), and what to override.
/// </summary>
public sealed class SshConnectionOptions
{
    /// <summary>Creates options for <paramref name="hostName"/> ("h1", "root@h1", or an alias of the ssh configuration).</summary>
    public SshConnectionOptions(string hostName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostName);
        if (hostName.StartsWith('-')) throw new ArgumentException("A host name cannot start with '-'.", nameof(hostName));
        HostName = hostName;
    }

    /// <summary>The host, as ssh takes it on its command line.</summary>
    public string HostName { get; }

    /// <summary>The login name (ssh -l); null: the ssh configuration's, else the local user's.</summary>
    public string? UserName { get; init; }

    /// <summary>The port (ssh -p); null: the ssh configuration's, else 22.</summary>
    public int? Port { get; init; }

    /// <summary>A private key file (ssh -i), used beside the agent's and the configuration's keys.</summary>
    public string? KeyFilePath { get; init; }

    /// <summary>
    /// ssh options (ssh -o NAME=VALUE), as PowerShell's own -Options of New-PSSession -HostName
    /// take them: UserKnownHostsFile, HostKeyAlias, Hostname... They come before this
    /// transport's defaults (BatchMode=yes, ConnectTimeout...), so they win.
    /// </summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The xenstored's socket on the remote host; null: the one that host's environment names
    /// (XENSTORED_PATH, else XENSTORED_RUNDIR/socket, else /var/run/xenstored/socket), asked
    /// with one remote shell command before the tunnel opens.
    /// </summary>
    public string? RemoteSocketPath { get; init; }

    /// <summary>
    /// The bound on opening the link, login and first reply included (ssh's ConnectTimeout
    /// too): a host that does not answer is an error, never a hang. Default 15 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The ssh program (default "ssh", found on PATH).</summary>
    public string SshPath { get; init; } = "ssh";

    /// <summary>For messages: "root@h1:2222".</summary>
    public override string ToString() =>
        (UserName is null ? "" : UserName + "@") + HostName + (Port is null ? "" : ":" + Port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
