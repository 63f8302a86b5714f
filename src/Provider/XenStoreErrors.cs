using System.Management.Automation;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell;

/// <summary>ErrorRecords for XenStore failures: id "XenStore.&lt;NAME&gt;", a category, the path as target.</summary>
public static class XenStoreErrorRecords
{
    /// <summary>The PowerShell category of a XenStore error name.</summary>
    public static ErrorCategory Category(XenStoreErrorCode code) => code switch
    {
        XenStoreErrorCode.ENOENT => ErrorCategory.ObjectNotFound,
        XenStoreErrorCode.EACCES or XenStoreErrorCode.EROFS or XenStoreErrorCode.EPERM => ErrorCategory.PermissionDenied,
        XenStoreErrorCode.EEXIST => ErrorCategory.ResourceExists,
        XenStoreErrorCode.EINVAL => ErrorCategory.InvalidArgument,
        XenStoreErrorCode.EAGAIN or XenStoreErrorCode.EBUSY => ErrorCategory.ResourceBusy,
        XenStoreErrorCode.E2BIG => ErrorCategory.LimitsExceeded,
        XenStoreErrorCode.ENOSPC or XenStoreErrorCode.ENOMEM => ErrorCategory.QuotaExceeded,
        XenStoreErrorCode.ENOSYS => ErrorCategory.NotImplemented,
        XenStoreErrorCode.EIO => ErrorCategory.ConnectionError,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>The xenstored cannot be reached: the connection is lost, or a request went unanswered for the drive's timeout.</summary>
    public static bool IsUnreachable(Exception exception) => exception is XenStoreConnectionException or TimeoutException or XenStoreUnreachableException;

    /// <summary>The ErrorRecord that stops a command for an <see cref="IsUnreachable"/> failure.</summary>
    public static ErrorRecord Unreachable(Exception exception, object? target) => UnreachableException(exception, target).ErrorRecord;

    /// <summary>The exception that stops a command for an <see cref="IsUnreachable"/> failure (wrapped once).</summary>
    public static XenStoreUnreachableException UnreachableException(Exception exception, object? target) =>
        exception as XenStoreUnreachableException ?? new XenStoreUnreachableException(exception, target);

    /// <summary>An ErrorRecord for a XenStore error on <paramref name="path"/>.</summary>
    public static ErrorRecord For(Exception exception, XenStoreErrorCode code, string errorName, string? path)
    {
        var wrapped = code == XenStoreErrorCode.ENOENT && exception is not ItemNotFoundException
            ? new ItemNotFoundException($"Cannot find path '{path}' because it does not exist.", exception)
            : exception;
        return new ErrorRecord(wrapped, "XenStore." + errorName, Category(code), path);
    }
}
