using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// A XenStore error a command explains in its own words (what the error means for that
/// command, what to do): its message is shown instead of the generic wording of the error.
/// </summary>
public sealed class XenStoreCommandException(XenStoreErrorCode code, string? path, string message, Exception? inner = null)
    : XenStoreException(code, code.ToString(), path, message, inner)
{
    /// <summary>The same error as <paramref name="cause"/>, explained.</summary>
    public XenStoreCommandException(XenStoreException cause, string message) : this(cause.Code, cause.Path, message, cause) { }
}
