using XenStore.Protocol;

namespace XenStore.Client;

/// <summary>A request answered with an error: the XenStore error name, and the path it concerned.</summary>
public class XenStoreException : Exception
{
    /// <summary>An error named <paramref name="errorName"/> for <paramref name="path"/>; without a message, one is made from the name and the path.</summary>
    public XenStoreException(XenStoreErrorCode code, string errorName, string? path, string? message = null, Exception? inner = null)
        : base(message ?? Describe(errorName, path), inner)
    {
        Code = code;
        ErrorName = errorName;
        Path = path;
    }

    /// <summary>The error as a known code, or <see cref="XenStoreErrorCode.Unknown"/> for names outside the table.</summary>
    public XenStoreErrorCode Code { get; }

    /// <summary>The name exactly as the daemon sent it ("ENOENT", "EQUOTA"...).</summary>
    public string ErrorName { get; }

    /// <summary>The path of the request, when it had one.</summary>
    public string? Path { get; }

    /// <summary>The Linux errno of the error, 0 when unknown.</summary>
    public int Errno => XenStoreErrors.Errno(Code);

    private static string Describe(string name, string? path)
    {
        var what = name switch
        {
            "ENOENT" => "does not exist",
            "EACCES" => "permission denied",
            "EINVAL" => "invalid argument",
            "EEXIST" => "already exists",
            "EAGAIN" => "transaction conflict: retry it",
            "EBUSY" => "busy",
            "E2BIG" => "too big",
            "ENOSPC" => "quota exceeded",
            "ENOMEM" => "out of memory or quota",
            "ENOSYS" => "not supported by this xenstored",
            "EPERM" => "operation not permitted",
            "EQUOTA" => "quota exceeded",
            _ => "error",
        };
        return path is null ? $"XenStore {name}: {what}" : $"XenStore {name}: {path}: {what}";
    }
}

/// <summary>The connection to the xenstored is gone: every request waiting on it fails with this.</summary>
public sealed class XenStoreConnectionException : XenStoreException
{
    /// <summary>A lost connection, reported as EIO.</summary>
    public XenStoreConnectionException(string message, Exception? inner = null)
        : base(XenStoreErrorCode.EIO, "EIO", null, message, inner)
    {
    }
}
