using XenStore.Protocol;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// The journal cannot take a change now: the change is refused (and undone) with
/// <see cref="Code"/>, ENOSPC for a full disk or quota, EIO for anything else.
/// </summary>
internal sealed class JournalUnavailableException(XenStoreErrorCode code, string message, Exception? inner = null)
    : IOException(message, inner)
{
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;

    public XenStoreErrorCode Code { get; } = code;

    /// <summary>The error a failed write of the journal answers: on Unix an IOException's HResult is the errno.</summary>
    public static JournalUnavailableException From(IOException failure, string what) =>
        new(failure.HResult is ENOSPC or EDQUOT ? XenStoreErrorCode.ENOSPC : XenStoreErrorCode.EIO, $"{what}: {failure.Message}", failure);
}
