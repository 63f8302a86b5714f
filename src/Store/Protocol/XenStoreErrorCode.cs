namespace XenStore.Protocol;

/// <summary>
/// The error names of xsd_errors[], in wire order. Only these are ever sent by our daemon;
/// the client keeps any other name it receives as <see cref="Unknown"/> plus the raw text.
/// </summary>
public enum XenStoreErrorCode
{
    EINVAL = 0,
    EACCES = 1,
    EEXIST = 2,
    EISDIR = 3,
    ENOENT = 4,
    ENOMEM = 5,
    ENOSPC = 6,
    EIO = 7,
    ENOTEMPTY = 8,
    ENOSYS = 9,
    EROFS = 10,
    EBUSY = 11,
    EAGAIN = 12,
    EISCONN = 13,
    E2BIG = 14,
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
