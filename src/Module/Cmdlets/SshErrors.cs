using System.Management.Automation;
using XenStore.Transport;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>The ErrorRecord for an ssh link that could not be opened: an id per cause, its category, the host as target.</summary>
internal static class SshErrors
{
    public static ErrorRecord Record(SshConnectException e)
    {
        var (id, category) = e.Failure switch
        {
            SshFailure.SshNotFound => ("XenStore.SshNotFound", ErrorCategory.ObjectNotFound),
            SshFailure.HostUnreachable => ("XenStore.SshHostUnreachable", ErrorCategory.ConnectionError),
            SshFailure.HostKeyUnknown => ("XenStore.SshHostKeyUnknown", ErrorCategory.SecurityError),
            SshFailure.LoginRefused => ("XenStore.SshLoginRefused", ErrorCategory.AuthenticationError),
            SshFailure.RemoteDaemonUnavailable => ("XenStore.RemoteDaemonUnavailable", ErrorCategory.ResourceUnavailable),
            SshFailure.TimedOut => ("XenStore.SshTimeout", ErrorCategory.OperationTimeout),
            _ => ("XenStore.ConnectFailed", ErrorCategory.ConnectionError),
        };
        return new ErrorRecord(e, id, category, e.Host);
    }
}
