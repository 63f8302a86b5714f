namespace XenStore.Protocol;

/// <summary>
/// The error names of xsd_errors[], in wire order. Only these are ever sent by our daemon;
/// the client keeps any other name it receives as <see cref="Unknown"/> plus the raw text.
/// </summary>
public enum XenStoreErrorCode
{
    /// <summary>Invalid argument: a malformed path, payload or permission.</summary>
    EINVAL = 0,
    /// <summary>The permissions do not let the caller read or write the node.</summary>
    EACCES = 1,
    /// <summary>Already exists.</summary>
    EEXIST = 2,
    /// <summary>Is a directory.</summary>
    EISDIR = 3,
    /// <summary>No such node, transaction or watch.</summary>
    ENOENT = 4,
    /// <summary>Out of memory.</summary>
    ENOMEM = 5,
    /// <summary>A quota is exhausted.</summary>
    ENOSPC = 6,
    /// <summary>Input/output error; the client also uses it for a malformed reply.</summary>
    EIO = 7,
    /// <summary>Directory not empty.</summary>
    ENOTEMPTY = 8,
    /// <summary>The request type is not implemented.</summary>
    ENOSYS = 9,
    /// <summary>Read-only.</summary>
    EROFS = 10,
    /// <summary>Busy: e.g. a request not allowed inside a transaction, or a domain already introduced.</summary>
    EBUSY = 11,
    /// <summary>Try again: a transaction conflicted with another change.</summary>
    EAGAIN = 12,
    /// <summary>Already connected.</summary>
    EISCONN = 13,
    /// <summary>Too big: a payload, path or reply over the protocol's limits.</summary>
    E2BIG = 14,
    /// <summary>Not permitted: e.g. a guest changing a node's owner.</summary>
    EPERM = 15,
    /// <summary>A name outside the standard table (EQUOTA from oxenstored, ENOTSUP from mirage...).</summary>
    Unknown = -1,
}

/// <summary>Names and Linux errno values of <see cref="XenStoreErrorCode"/>.</summary>
public static class XenStoreErrors
{
    private static readonly int[] Errnos = [22, 13, 17, 21, 2, 12, 28, 5, 39, 38, 30, 16, 11, 106, 7, 1];

    /// <summary>The wire name of a code, e.g. "ENOENT".</summary>
    public static string Name(XenStoreErrorCode code) =>
        code == XenStoreErrorCode.Unknown ? "EINVAL" : code.ToString();

    /// <summary>The Linux errno of a code, or 0 for <see cref="XenStoreErrorCode.Unknown"/>.</summary>
    public static int Errno(XenStoreErrorCode code) =>
        code == XenStoreErrorCode.Unknown ? 0 : Errnos[(int)code];

    /// <summary>Parses a wire error name; names outside the table give <see cref="XenStoreErrorCode.Unknown"/>.</summary>
    public static XenStoreErrorCode Parse(string name) =>
        name.StartsWith('E') && Enum.TryParse<XenStoreErrorCode>(name, ignoreCase: false, out var code) && code != XenStoreErrorCode.Unknown
            ? code
            : XenStoreErrorCode.Unknown;

    /// <summary>The error payload bytes ("ENOENT\0") for each code, built once.</summary>
    internal static readonly byte[][] Payloads =
        Enumerable.Range(0, Errnos.Length).Select(i => Wire.Encode(((XenStoreErrorCode)i).ToString() + "\0")).ToArray();
}
