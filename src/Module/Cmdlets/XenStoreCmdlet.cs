using System.Management.Automation;
using XenStore.Client;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>What the XenStore cmdlets share: finding the drive a path or name means, and turning XenStore failures into ErrorRecords.</summary>
public abstract class XenStoreCmdlet : PSCmdlet
{
    /// <summary>
    /// The drive called <paramref name="name"/>; without a name, the drive of the current
    /// location if it is a XenStore drive, else xs:.
    /// </summary>
    protected XenStoreDriveInfo ResolveDrive(string? name)
    {
        if (string.IsNullOrEmpty(name))
            name = SessionState.Path.CurrentLocation.Drive is { Provider.Name: XenStoreProvider.ProviderName } current ? current.Name : "xs";
        name = name.TrimEnd(':');
        try
        {
            if (SessionState.Drive.Get(name) is XenStoreDriveInfo drive) return drive;
        }
        catch (System.Management.Automation.DriveNotFoundException) { }
        ThrowTerminatingError(new ErrorRecord(new System.Management.Automation.DriveNotFoundException($"There is no XenStore drive '{name}:'."), "XenStore.DriveNotFound", ErrorCategory.ObjectNotFound, name));
        throw new InvalidOperationException();
    }

    /// <summary>
    /// The drive and absolute XenStore path a PowerShell path means ("xs:/vm", "X:\device",
    /// a relative path from a XenStore location). Special watch names (@...) go to the current or xs: drive.
    /// </summary>
    protected (XenStoreDriveInfo Drive, string StorePath) ResolvePath(string path, string? driveName = null)
    {
        if (path.StartsWith('@')) return (ResolveDrive(driveName), path);
        string providerPath;
        ProviderInfo provider;
        PSDriveInfo? drive;
        try
        {
            providerPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out drive);
        }
        catch (Exception ex) when (ex is System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or ItemNotFoundException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "XenStore.PathNotFound", ErrorCategory.ObjectNotFound, path));
            throw;
        }
        if (provider.Name != XenStoreProvider.ProviderName)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{path}' is not a XenStore path (it belongs to the {provider.Name} provider)."),
                "XenStore.NotXenStorePath", ErrorCategory.InvalidArgument, path));
        var xsDrive = drive as XenStoreDriveInfo ?? ResolveDrive(driveName);
        return (xsDrive, ProviderPath.ToStorePath(providerPath));
    }

    /// <summary>Waits for a XenStore request; an error becomes a non-terminating ErrorRecord for <paramref name="target"/>.</summary>
    protected T? Run<T>(Func<Task<T>> operation, object target)
    {
        try
        {
            return operation().GetAwaiter().GetResult();
        }
        catch (Exception unreachable) when (XenStoreErrorRecords.IsUnreachable(unreachable))
        {
            ThrowTerminatingError(XenStoreErrorRecords.Unreachable(unreachable, target));
            throw;
        }
        catch (XenStoreException e)
        {
            var record = XenStoreErrorRecords.For(e, e.Code, e.ErrorName, target as string ?? target.ToString());
            if (e is XenStoreCommandException) record.ErrorDetails = new ErrorDetails(e.Message);
            WriteError(record);
            return default;
        }
    }

    protected bool Run(Func<Task> operation, object target) => Run(async () =>
    {
        await operation().ConfigureAwait(false);
        return true;
    }, target);

    private readonly CancellationTokenSource stopping = new();

    /// <summary>Cancelled by Ctrl+C (StopProcessing), so outstanding requests and waits end at once.</summary>
    protected CancellationToken StopToken => stopping.Token;

    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>
    /// Runs long work off the pipeline thread and waits for it there: WriteProgress may only be
    /// called from the pipeline thread, so <paramref name="progress"/> is asked for a record
    /// every quarter second until the work ends; Ctrl+C cancels the work through <see cref="StopToken"/>.
    /// </summary>
    protected T? RunWithProgress<T>(Func<CancellationToken, Task<T>> operation, object target, Func<ProgressRecord> progress)
    {
        var work = Task.Run(() => operation(StopToken));
        var shown = false;
        while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(250))
        {
            WriteProgress(progress());
            shown = true;
        }
        if (shown)
        {
            var done = progress();
            done.RecordType = ProgressRecordType.Completed;
            WriteProgress(done);
        }
        try
        {
            return Run(() => work, target);
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    protected bool RunWithProgress(Func<CancellationToken, Task> operation, object target, Func<ProgressRecord> progress) =>
        RunWithProgress(async cancellationToken =>
        {
            await operation(cancellationToken).ConfigureAwait(false);
            return true;
        }, target, progress);

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
        var resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
        if (provider.Name == "FileSystem") return resolved;
        if (SessionState.Path.IsPSAbsolute(path, out _))
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{path}' is not a file system path (it belongs to the {provider.Name} provider)."),
                "XenStore.NotFileSystemPath", ErrorCategory.InvalidArgument, path));
        return System.IO.Path.GetFullPath(path, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
    }
}
