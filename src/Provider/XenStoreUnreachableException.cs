using System.Management.Automation;

namespace XenStore.PowerShell;

/// <summary>
/// Stops a provider command when the xenstored cannot be reached, carrying the ErrorRecord
/// (XenStore.ConnectionLost or XenStore.Timeout) through the engine: from some provider
/// methods (ItemExists, IsItemContainer) the engine rethrows a plain exception under its type
/// name and drops a record given to ThrowTerminatingError; an exception that contains its
/// record keeps it.
/// </summary>
public sealed class XenStoreUnreachableException(ErrorRecord errorRecord)
    : Exception(errorRecord.Exception.Message, errorRecord.Exception), IContainsErrorRecord
{
    public ErrorRecord ErrorRecord { get; } = errorRecord;
}
