using System.Management.Automation;

namespace XenStore.PowerShell;

/// <summary>
/// The xenstored cannot be reached: the connection is lost (XenStore.ConnectionLost) or a
/// request went unanswered for the drive's timeout (XenStore.Timeout). The exception carries
/// its own ErrorRecord, because the engine passes provider failures on as bare exceptions in
/// several places (Set-Location, ItemExists) and rebuilds a record from the exception: one that
/// contains its record keeps its id, category and target wherever it surfaces.
/// </summary>
public sealed class XenStoreUnreachableException : Exception, IContainsErrorRecord
{
    public XenStoreUnreachableException(Exception cause, object? target)
        : base(cause.Message, cause)
    {
        ErrorRecord = cause is TimeoutException
            ? new ErrorRecord(this, "XenStore.Timeout", ErrorCategory.OperationTimeout, target)
            : new ErrorRecord(this, "XenStore.ConnectionLost", ErrorCategory.ConnectionError, target);
    }

    public ErrorRecord ErrorRecord { get; }
}
