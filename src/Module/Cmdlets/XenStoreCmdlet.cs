using System.Management.Automation;
using XenStore.Client;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>What the XenStore cmdlets share: finding the drive a path or name means, and turning XenStore failures into ErrorRecords.</summary>
public abstract partial class XenStoreCmdlet : PSCmdlet
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
        // A provider-qualified path (an item's PSPath) comes without a drive: its prefix names the store.
        var xsDrive = drive as XenStoreDriveInfo ?? XenStoreDriveInfo.ForPath(provider, providerPath) ?? ResolveDrive(driveName);
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
}
