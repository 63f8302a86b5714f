namespace XenStore.Transport;

/// <summary>What stopped <see cref="SshTransport"/> from reaching a remote xenstored.</summary>
public enum SshFailure
{
    /// <summary>Anything else ssh reported (its message says what).</summary>
    Failed,
    /// <summary>The ssh program is not installed (or not at the path given).</summary>
    SshNotFound,
    /// <summary>The host cannot be reached: no such name, connection refused, no route.</summary>
    HostUnreachable,
    /// <summary>The host's key is not known (or has changed), and BatchMode asks nobody.</summary>
    HostKeyUnknown,
    /// <summary>The host refused the login (no key it accepts).</summary>
    LoginRefused,
    /// <summary>Logged in, but no xenstored serves the socket on the host.</summary>
    RemoteDaemonUnavailable,
    /// <summary>Nothing was settled within the connect timeout.</summary>
    TimedOut,
}

/// <summary>
/// Opening an SSH link to a remote xenstored failed; <see cref="Failure"/> says how, the
/// message says it in words and quotes what ssh wrote.
/// </summary>
public sealed class SshConnectException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SshConnectException(SshFailure failure, string host, string message, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        Host = host;
    }

    /// <summary>How it failed.</summary>
    public SshFailure Failure { get; }

    /// <summary>The host, as it was named.</summary>
    public string Host { get; }
}
