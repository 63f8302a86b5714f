using System.Management.Automation;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>What -Path, -LiteralPath and piped items mean, and file names given to a command on a XenStore drive.</summary>
public abstract partial class XenStoreCmdlet
{
    /// <summary>
    /// The drives and XenStore paths a -Path or -LiteralPath value means. -Path expands
    /// wildcards through the provider (case-sensitive, existing nodes only); a path without
    /// wildcards, and every -LiteralPath, is taken as it is, so a node that does not exist yet
    /// can be named. An item piped from a XenStore drive brings that drive (its PSDrive
    /// property), because its Path property is a bare XenStore path and its PSPath names no
    /// drive: without it the item would land on the current drive.
    /// </summary>
    protected IReadOnlyList<(XenStoreDriveInfo Drive, string StorePath)> ResolvePaths(string path, bool literal, PSDriveInfo? pipedDrive = null)
    {
        if (pipedDrive is XenStoreDriveInfo itemDrive)
        {
            // Path binds "/local/domain/0"; LiteralPath binds "XenStore.Provider\XenStore::local/domain/0".
            var store = path.StartsWith('/') ? path : ResolvePath(path).StorePath;
            return [(itemDrive, store)];
        }
        if (literal || path.StartsWith('@') || !WildcardPattern.ContainsWildcardCharacters(path)) return [ResolvePath(path)];
        System.Collections.ObjectModel.Collection<PathInfo> matches;
        try
        {
            // The PS form, not GetResolvedProviderPathFromPSPath: each match must keep its drive, which carries the connection.
            matches = SessionState.Path.GetResolvedPSPathFromPSPath(path);
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
        {
            WriteError(new ErrorRecord(ex, "XenStore.ENOENT", ErrorCategory.ObjectNotFound, path));
            return [];
        }
        if (matches.Count == 0)
        {
            // As Get-Item says of a pattern that matches nothing.
            WriteError(new ErrorRecord(new ItemNotFoundException($"Cannot find path '{path}' because it does not exist."), "XenStore.ENOENT", ErrorCategory.ObjectNotFound, path));
            return [];
        }
        var resolved = new List<(XenStoreDriveInfo, string)>();
        foreach (var match in matches)
        {
            if (match.Provider.Name != XenStoreProvider.ProviderName)
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{match.Path}' is not a XenStore path (it belongs to the {match.Provider.Name} provider)."),
                    "XenStore.NotXenStorePath", ErrorCategory.InvalidArgument, match.Path));
                continue;
            }
            resolved.Add((match.Drive as XenStoreDriveInfo ?? ResolveDrive(null), ProviderPath.ToStorePath(match.ProviderPath)));
        }
        return resolved;
    }

    /// <summary>
    /// A file path as the file system provider means it: a relative one is taken from the
    /// current file system location even while the session stands on a XenStore drive; one
    /// on another provider's drive (xs:/backup.json) is refused.
    /// </summary>
    protected string FileSystemPath(string path)
    {
        // From an xs: location a relative file name is the file system's.
        if (!SessionState.Path.IsPSAbsolute(path, out _))
            return System.IO.Path.GetFullPath(path, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        string? providerName;
        string resolved = "";
        try
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            providerName = provider.Name;
        }
        catch (ItemNotFoundException)
        {
            providerName = null; // a file name on a drive that cannot hold one (the XenStore provider finds no dotted name)
        }
        if (providerName == "FileSystem") return resolved;
        ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{path}' is not a file system path{(providerName is null ? "" : $" (it belongs to the {providerName} provider)")}."),
            "XenStore.NotFileSystemPath", ErrorCategory.InvalidArgument, path));
        return resolved;
    }
}
