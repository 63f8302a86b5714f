using System.Management.Automation;

namespace XenStore.PowerShell;

/// <summary>
/// A path component that can never be a XenStore node name (it has a '.': a file name). It is
/// an <see cref="ItemNotFoundException"/> so that the engine treats the path as not there (see
/// <see cref="XenStoreProvider"/>'s GetChildName), and its record says what is wrong with it:
/// XenStore.EINVAL, InvalidArgument, the path as target.
/// </summary>
public sealed class InvalidNodeNameException : ItemNotFoundException
{
    private readonly string path;

    public InvalidNodeNameException(string path, string name)
        : base($"'{path}' is not a XenStore path: '{name}' cannot be a node name (names take letters, digits and - _ @).") => this.path = path;

    public override ErrorRecord ErrorRecord => new(this, "XenStore.EINVAL", ErrorCategory.InvalidArgument, path);
}
