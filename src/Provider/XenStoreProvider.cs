using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Provider;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell;

/// <summary>
/// The XenStore provider: every node is an item and a container (as a registry key is), its
/// value is its content, and Value, Permissions and Owner are its properties. Paths are
/// case-sensitive, take '/' or '\', and show as xs:/local/domain/19.
/// </summary>
[CmdletProvider(ProviderName, ProviderCapabilities.ShouldProcess | ProviderCapabilities.Filter | ProviderCapabilities.ExpandWildcards)]
[OutputType(typeof(XenStoreItem), ProviderCmdlet = ProviderCmdlet.GetItem)]
[OutputType(typeof(XenStoreItem), ProviderCmdlet = ProviderCmdlet.GetChildItem)]
public sealed partial class XenStoreProvider : NavigationCmdletProvider, IContentCmdletProvider, IPropertyCmdletProvider
{
    public const string ProviderName = "XenStore";

    /// <summary>The drive the current operation runs on.</summary>
    private XenStoreDriveInfo Drive =>
        PSDriveInfo as XenStoreDriveInfo
        ?? throw new PSInvalidOperationException("This operation needs a XenStore drive (xs:, or one made with Connect-XenStore or New-PSDrive -PSProvider XenStore).");

    private XenStoreOperations Store => Drive.Operations;

    #region Drives

    protected override Collection<PSDriveInfo> InitializeDefaultDrives()
    {
        var connection = XenStoreConnector.ForDefaultDrive(WriteWarning);
        if (connection is null) return [];
        var drive = new PSDriveInfo("xs", ProviderInfo, "", $"XenStore ({connection.Description})", null);
        return [new XenStoreDriveInfo(drive, connection.Client, connection.EmbeddedDaemon, connection.Description)];
    }

    protected override object NewDriveDynamicParameters() => new DriveParameters();

    protected override PSDriveInfo NewDrive(PSDriveInfo drive)
    {
        if (drive is XenStoreDriveInfo ready) return ready;
        var parameters = DynamicParameters as DriveParameters ?? new DriveParameters();
        try
        {
            var connection = parameters.Embedded ? XenStoreConnector.Embedded()
                : parameters.Xenbus ? XenStoreConnector.Xenbus(parameters.DevicePath)
                : parameters.SocketPath is { } socket ? XenStoreConnector.Socket(socket)
                : XenStoreConnector.Discover() ?? throw new XenStoreConnectionException("No xenstored is reachable; give -SocketPath, -Xenbus or -Embedded.");
            var root = ProviderPath.FromStorePath(ProviderPath.ToStorePath(drive.Root));
            var rooted = new PSDriveInfo(drive.Name, drive.Provider, root, drive.Description, drive.Credential);
            return new XenStoreDriveInfo(rooted, connection.Client, connection.EmbeddedDaemon, connection.Description);
        }
        catch (Exception ex) when (ex is XenStoreException or IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "XenStore.ConnectFailed", ErrorCategory.ConnectionError, drive.Name));
            throw;
        }
    }

    protected override PSDriveInfo RemoveDrive(PSDriveInfo drive)
    {
        (drive as XenStoreDriveInfo)?.Dispose();
        return drive;
    }

    #endregion

    #region Paths

    protected override bool IsValidPath(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        return store.Length <= XenStorePath.AbsoluteMax && store.All(XenStorePath.IsValidChar);
    }

    protected override string MakePath(string parent, string child) => ProviderPath.Join(parent, child);

    protected override string GetParentPath(string path, string root) => ProviderPath.Parent(path, root);

    protected override string GetChildName(string path) => ProviderPath.ChildName(path);

    protected override string NormalizeRelativePath(string path, string basePath) => ProviderPath.Relative(path, basePath);

    /// <summary>
    /// Case-sensitive wildcard expansion: each component with a wildcard is matched against
    /// the children that exist (the engine's own globbing would ignore case).
    /// </summary>
    protected override string[] ExpandPath(string path)
    {
        var components = ProviderPath.ToStorePath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { "/" };
        foreach (var component in components)
        {
            var next = new List<string>();
            foreach (var parent in current)
            {
                if (!WildcardPattern.ContainsWildcardCharacters(component))
                {
                    next.Add(XenStorePath.Combine(parent, component));
                    continue;
                }
                var pattern = new WildcardPattern(component, WildcardOptions.None);
                next.AddRange(TryList(parent).Where(pattern.IsMatch).Select(name => XenStorePath.Combine(parent, name)));
            }
            current = next;
        }
        return current.Where(p => Run(() => Store.ExistsAsync(p), p)).Select(ProviderPath.FromStorePath).ToArray();
    }

    #endregion

    #region Items

    protected override bool ItemExists(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        try
        {
            return Store.ExistsAsync(store).GetAwaiter().GetResult();
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.EINVAL)
        {
            return false;
        }
    }

    /// <summary>Every node can have children, as every registry key can.</summary>
    protected override bool IsItemContainer(string path) => ItemExists(path);

    protected override bool HasChildItems(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        return TryList(store).Count > 0;
    }

    protected override void GetItem(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        var node = Run(() => Store.GetNodeAsync(store), store);
        if (node is not null) WriteItem(node);
    }

    protected override void GetChildItems(string path, bool recurse) => GetChildItems(path, recurse, uint.MaxValue);

    /// <summary>
    /// Children (and with -Recurse their subtrees, to -Depth) read with their requests
    /// pipelined, then written parent by parent as Get-ChildItem shows directories.
    /// </summary>
    protected override void GetChildItems(string path, bool recurse, uint depth)
    {
        var store = ProviderPath.ToStorePath(path);
        var levels = recurse ? (depth == uint.MaxValue ? int.MaxValue : (int)Math.Min(depth, int.MaxValue - 1) + 1) : 1;
        var nodes = Run(() => Store.ListRecursiveAsync(store, levels), store);
        if (nodes is null) return;
        var byPath = nodes.ToDictionary(n => n.Path, StringComparer.Ordinal);
        var filter = string.IsNullOrEmpty(Filter) ? null : new WildcardPattern(Filter, WildcardOptions.None);
        var pending = new Stack<string>();
        pending.Push(store);
        while (pending.Count > 0)
        {
            if (Stopping) return;
            if (!byPath.TryGetValue(pending.Pop(), out var parent)) continue;
            var children = parent.Children.Select(c => XenStorePath.Combine(parent.Path, c)).Where(byPath.ContainsKey).ToList();
            foreach (var child in children)
                if (filter is null || filter.IsMatch(XenStorePath.Name(child))) WriteItem(byPath[child]);
            for (var i = children.Count - 1; i >= 0; i--) pending.Push(children[i]);
        }
    }

    protected override void GetChildNames(string path, ReturnContainers returnContainers)
    {
        var store = ProviderPath.ToStorePath(path);
        var filter = string.IsNullOrEmpty(Filter) ? null : new WildcardPattern(Filter, WildcardOptions.None);
        foreach (var name in TryList(store))
        {
            if (Stopping) return;
            if (filter is null || filter.IsMatch(name)) WriteItemObject(name, ProviderPath.FromStorePath(XenStorePath.Combine(store, name)), true);
        }
    }

    protected override void NewItem(string path, string itemTypeName, object newItemValue)
    {
        var store = ProviderPath.ToStorePath(path);
        if (!ShouldProcess(store, "New XenStore node")) return;
        if (!Force && Run(() => Store.ExistsAsync(store), store))
        {
            WriteError(new ErrorRecord(new IOException($"The XenStore node '{store}' already exists. Use -Force to set its value."),
                "XenStore.EEXIST", ErrorCategory.ResourceExists, store));
            return;
        }
        if (newItemValue is null) Run(() => Store.MkdirAsync(store), store);
        else Run(() => Store.WriteAsync(store, Values.ToBytes(newItemValue)), store);
        GetItem(store);
    }

    protected override void SetItem(string path, object value)
    {
        var store = ProviderPath.ToStorePath(path);
        if (!ShouldProcess(store, "Set XenStore value")) return;
        Run(() => Store.WriteAsync(store, Values.ToBytes(value)), store);
        // The engine passes it on only with -PassThru.
        GetItem(store);
    }

    protected override void ClearItem(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        if (!ShouldProcess(store, "Clear XenStore value")) return;
        Run(() => Store.WriteAsync(store, Array.Empty<byte>()), store);
    }

    protected override void RemoveItem(string path, bool recurse)
    {
        var store = ProviderPath.ToStorePath(path);
        if (!ShouldProcess(store, "Remove XenStore node")) return;
        Run(() => Store.RemoveAsync(store), store);
    }

    protected override void CopyItem(string path, string copyPath, bool recurse)
    {
        var from = ProviderPath.ToStorePath(path);
        var to = ProviderPath.ToStorePath(copyPath);
        if (!ShouldProcess($"{from} -> {to}", "Copy XenStore node")) return;
        Atomically(ops => CopyAsync(ops, from, to, recurse ? int.MaxValue : 0), from);
    }

    protected override void MoveItem(string path, string destination)
    {
        var from = ProviderPath.ToStorePath(path);
        var to = ProviderPath.ToStorePath(destination);
        // Moving into an existing node puts the item below it, as Move-Item does with folders.
        if (Run(() => Store.ExistsAsync(to), to)) to = XenStorePath.Combine(to, XenStorePath.Name(from));
        if (ShouldProcess($"{from} -> {to}", "Move XenStore node")) Relocate(from, to);
    }

    protected override void RenameItem(string path, string newName)
    {
        var from = ProviderPath.ToStorePath(path);
        if (newName.Contains('/') || newName.Contains('\\') || !newName.All(XenStorePath.IsValidChar))
        {
            WriteError(new ErrorRecord(new ArgumentException($"'{newName}' is not a valid XenStore node name."), "XenStore.EINVAL", ErrorCategory.InvalidArgument, newName));
            return;
        }
        var to = XenStorePath.Combine(XenStorePath.Parent(from), newName);
        if (ShouldProcess($"{from} -> {to}", "Rename XenStore node")) Relocate(from, to);
    }

    #endregion

    /// <summary>Move and rename: copy the subtree and remove the original, in one transaction.</summary>
    private void Relocate(string from, string to)
    {
        Atomically(async ops =>
        {
            await CopyAsync(ops, from, to, int.MaxValue).ConfigureAwait(false);
            await ops.RemoveAsync(from).ConfigureAwait(false);
        }, from);
        GetItem(to);
    }

    private void WriteItem(XenStoreNode node) => WriteItemObject(new XenStoreItem(node), ProviderPath.FromStorePath(node.Path), true);

    private List<string> TryList(string store) => Run(() => Store.ListAsync(store), store)?.ToList() ?? [];

    /// <summary>Copies a node (and its subtree to <paramref name="depth"/>) with values and permissions.</summary>
    private static async Task CopyAsync(XenStoreOperations ops, string from, string to, int depth)
    {
        if (XenStorePath.IsAtOrBelow(to, from))
            throw new XenStoreException(XenStoreErrorCode.EINVAL, "EINVAL", to, $"Cannot copy {from} into itself ({to}).");
        var nodes = await ops.ListRecursiveAsync(from, depth).ConfigureAwait(false);
        foreach (var node in nodes)
        {
            var target = to + node.Path[from.Length..];
            await ops.WriteAsync(target, node.Value).ConfigureAwait(false);
            await ops.SetPermissionsAsync(target, node.Permissions).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a change in the drive's ambient transaction, or in one of its own retried on conflict.</summary>
    private void Atomically(Func<XenStoreOperations, Task> change, string path)
    {
        var drive = Drive;
        if (drive.Transaction is { } ambient) Run(() => change(ambient), path);
        else Run(() => drive.Client.RunTransactionAsync(tx => change(tx)), path);
    }

    private void Run(Func<Task> operation, string path) => Run(async () =>
    {
        await operation().ConfigureAwait(false);
        return true;
    }, path);

    /// <summary>
    /// Waits for a request; a XenStore error becomes an ErrorRecord for that path (the
    /// operation goes on with the next item), a lost connection stops the command.
    /// </summary>
    private T? Run<T>(Func<Task<T>> operation, string path)
    {
        try
        {
            return operation().GetAwaiter().GetResult();
        }
        catch (Exception unreachable) when (XenStoreErrorRecords.IsUnreachable(unreachable))
        {
            ThrowTerminatingError(XenStoreErrorRecords.Unreachable(unreachable, path));
            return default;
        }
        catch (XenStoreException e)
        {
            WriteError(XenStoreErrorRecords.For(e, e.Code, e.ErrorName, path));
            return default;
        }
    }
}
