using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
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
[CmdletProvider(ProviderName, ProviderCapabilities.ShouldProcess | ProviderCapabilities.Filter | ProviderCapabilities.Include | ProviderCapabilities.Exclude | ProviderCapabilities.ExpandWildcards)]
[OutputType(typeof(XenStoreItem), ProviderCmdlet = ProviderCmdlet.GetItem)]
[OutputType(typeof(XenStoreItem), ProviderCmdlet = ProviderCmdlet.GetChildItem)]
[SuppressMessage("Design", "CA1001", Justification = "Its CancellationTokenSource has no timer or linked token, so there is nothing to release; PowerShell never disposes a provider.")]
public sealed partial class XenStoreProvider : NavigationCmdletProvider, IContentCmdletProvider, IPropertyCmdletProvider
{
    public const string ProviderName = "XenStore";

    private XenStoreDriveInfo? drive;

    /// <summary>
    /// The drive the current operation runs on: the one the engine names, or for a
    /// provider-qualified path (an item's PSPath piped from elsewhere) the drive whose store
    /// the path names. Set by the first <see cref="StorePath"/> of the operation.
    /// </summary>
    private XenStoreDriveInfo Drive => drive ??= DriveFor(ProviderPath.StorePrefix(PSDriveInfo?.Root));

    private XenStoreOperations Store => Drive.Operations;

    /// <summary>The XenStore path a provider path names, and the drive of its store for this operation.</summary>
    private string StorePath(string path)
    {
        drive ??= DriveFor(ProviderPath.StorePrefix(path));
        return ProviderPath.ToStorePath(path);
    }

    private XenStoreDriveInfo DriveFor(string prefix)
    {
        if (PSDriveInfo is XenStoreDriveInfo current && current.StorePrefix == prefix) return current;
        return XenStoreDriveInfo.ForPrefix(ProviderInfo, prefix)
            ?? throw new PSArgumentException(prefix.Length == 0
                ? "No XenStore drive is connected to the session's default store (xs: was removed); use a drive-qualified path."
                : $"There is no XenStore drive '{prefix[2..]}:' any more for the path.");
    }

    #region Drives

    protected override Collection<PSDriveInfo> InitializeDefaultDrives()
    {
        var connection = XenStoreConnector.ForDefaultDrive(WriteWarning);
        if (connection is null) return [];
        var xs = new PSDriveInfo("xs", ProviderInfo, "/", $"XenStore ({connection.Description})", null);
        return [new XenStoreDriveInfo(xs, new DriveConnection(connection.Client, connection.EmbeddedDaemon, connection.Description), ownConnection: false)];
    }

    protected override object NewDriveDynamicParameters() => new DriveParameters();

    /// <summary>
    /// New-PSDrive -PSProvider XenStore: with -SocketPath, -Xenbus or -Embedded the drive
    /// connects on its own; without, it is another view (another -Root) of the default store.
    /// </summary>
    protected override PSDriveInfo NewDrive(PSDriveInfo drive)
    {
        if (drive is XenStoreDriveInfo ready) return ready;
        var parameters = DynamicParameters as DriveParameters ?? new DriveParameters();
        try
        {
            if (!parameters.Embedded && !parameters.Xenbus && parameters.SocketPath is null
                && XenStoreDriveInfo.OnDefaultStore(ProviderInfo) is { } shared)
                return new XenStoreDriveInfo(drive, shared.DriveConnection, ownConnection: false);
            var connection = parameters.Embedded ? XenStoreConnector.Embedded()
                : parameters.Xenbus ? XenStoreConnector.Xenbus(parameters.DevicePath)
                : parameters.SocketPath is { } socket ? XenStoreConnector.Socket(socket)
                : XenStoreConnector.Discover() ?? throw new XenStoreConnectionException("No xenstored is reachable; give -SocketPath, -Xenbus or -Embedded.");
            var own = parameters.Embedded || parameters.Xenbus || parameters.SocketPath is not null;
            return new XenStoreDriveInfo(drive, new DriveConnection(connection.Client, connection.EmbeddedDaemon, connection.Description), own);
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

    /// <summary>
    /// The last component. A component with a '.' (other than "." and "..") is a file name, never
    /// a XenStore one: it is not found. The engine resolves a path without wildcards through
    /// this method alone, and only "not found" lets module autoloading from an xs: location
    /// fall back to the module's folder for a manifest's ".\X.dll".
    /// </summary>
    protected override string GetChildName(string path)
    {
        var name = ProviderPath.ChildName(path);
        if (name.Contains('.') && name is not "." and not "..")
            throw new InvalidNodeNameException(path, name);
        return name;
    }

    protected override string NormalizeRelativePath(string path, string basePath) => ProviderPath.Relative(path, basePath);

    /// <summary>
    /// Case-sensitive wildcard expansion: each component with a wildcard is matched against
    /// the children that exist (the engine's own globbing would ignore case).
    /// </summary>
    protected override string[] ExpandPath(string path)
    {
        var components = StorePath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
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
                next.AddRange(ListOrEmpty(parent).Where(pattern.IsMatch).Select(name => XenStorePath.Combine(parent, name)));
            }
            current = next;
        }
        var selected = NameSelector();
        return current.Where(p => selected(XenStorePath.Name(p)) && Probe(p) != NodeState.Missing).Select(Drive.ProviderPathOf).ToArray();
    }

    #endregion

    #region Items

    /// <summary>
    /// Whether the node exists. An unreachable xenstored is written, not thrown: the engine
    /// reports what a provider writes here (and puts Set-Location's drive back), where a thrown
    /// exception loses its record and Test-Path turns it into False.
    /// </summary>
    protected override bool ItemExists(string path)
    {
        var store = StorePath(path);
        if (Drive.DriveConnection.Listings.KnownToExist(store)) return true;
        try
        {
            return Probe(store) != NodeState.Missing;
        }
        catch (XenStoreUnreachableException unreachable)
        {
            WriteError(unreachable.ErrorRecord);
            return false;
        }
    }

    /// <summary>Every node can have children, as every registry key can.</summary>
    protected override bool IsItemContainer(string path) => ItemExists(path);

    protected override bool HasChildItems(string path) => ListOrEmpty(StorePath(path)).Count > 0;

    protected override void GetItem(string path)
    {
        var store = StorePath(path);
        // The engine matches -Include/-Exclude ignoring case in its own walks, then gets each
        // item it kept: what does not match with its case is not written.
        if (!NameSelector()(XenStorePath.Name(store))) return;
        var node = Run(() => Store.GetNodeAsync(store), store);
        if (node is not null) WriteItem(node);
    }

    protected override void GetChildItems(string path, bool recurse) => GetChildItems(path, recurse, uint.MaxValue);

    /// <summary>
    /// Children (and with -Recurse their subtrees, to -Depth), written parent by parent as
    /// Get-ChildItem shows directories, streamed as they arrive with the requests pipelined.
    /// </summary>
    protected override void GetChildItems(string path, bool recurse, uint depth)
    {
        var store = StorePath(path);
        var levels = recurse ? (depth == uint.MaxValue ? int.MaxValue : (int)Math.Min(depth, int.MaxValue - 1) + 1) : 1;
        var selected = NameSelector();
        var walk = new SubtreeWalk(Store, levels);
        Run(() => walk.StartAsync(store), store);
        var listed = 0;
        foreach (var step in walk.Steps(child => Await(child)))
        {
            if (Stopping) return;
            if (step.Node is { } node)
            {
                if (selected(XenStorePath.Name(node.Path))) WriteItem(node);
                // A big listing shows how far it has got.
                if (++listed % 1000 == 0) WriteProgress(new ProgressRecord(OperationProgress.ActivityId, "Get-ChildItem", $"Listing {store}: {listed:N0} nodes"));
            }
            else if (step.Failure is { } failure) Report(failure, step.Path);
        }
        if (listed >= 1000) WriteProgress(new ProgressRecord(OperationProgress.ActivityId, "Get-ChildItem", $"Listed {store}") { RecordType = ProgressRecordType.Completed });
    }

    protected override void GetChildNames(string path, ReturnContainers returnContainers)
    {
        var store = StorePath(path);
        var selected = NameSelector();
        var listings = Drive.DriveConnection.Listings;
        var names = listings.Find(store) ?? ListOrEmpty(store);
        // The engine walks -Recurse -Name (and -Include/-Exclude) itself, asking for all containers:
        // read the next level ahead, all at once, instead of one round trip per child.
        if (returnContainers == ReturnContainers.ReturnAllContainers)
            listings.ReadAhead(Store, names.Select(name => XenStorePath.Combine(store, name)).ToList());
        foreach (var name in names)
        {
            if (Stopping) return;
            // For its own walk the engine asks for every container (every node is one): it
            // descends into all of them and matches -Include/-Exclude itself.
            if (returnContainers == ReturnContainers.ReturnAllContainers || selected(name)) WriteItemObject(name, Drive.ProviderPathOf(XenStorePath.Combine(store, name)), true);
        }
    }

    protected override void NewItem(string path, string itemTypeName, object newItemValue)
    {
        var store = StorePath(path);
        if (!ShouldChange(store, "New XenStore node")) return;
        if (!Force && Probe(store) == NodeState.Exists)
        {
            WriteError(new ErrorRecord(new IOException($"The XenStore node '{store}' already exists. Use -Force to set its value."),
                "XenStore.EEXIST", ErrorCategory.ResourceExists, store));
            return;
        }
        var written = newItemValue is null
            ? Run(() => Store.MkdirAsync(store), store)
            : Run(() => Store.WriteAsync(store, Values.ToBytes(newItemValue)), store);
        if (written) GetItem(path);
    }

    protected override void SetItem(string path, object value)
    {
        var store = StorePath(path);
        if (!ShouldChange(store, "Set XenStore value")) return;
        // The engine passes the item on only with -PassThru.
        if (Run(() => Store.WriteAsync(store, Values.ToBytes(value)), store)) GetItem(path);
    }

    protected override void ClearItem(string path)
    {
        var store = StorePath(path);
        if (!Exists(store)) return;
        if (!ShouldChange(store, "Clear XenStore value")) return;
        Run(() => Store.WriteAsync(store, Array.Empty<byte>()), store);
    }

    protected override void RemoveItem(string path, bool recurse)
    {
        var store = StorePath(path);
        if (!ShouldChange(store, "Remove XenStore node")) return;
        Run(() => Store.RemoveAsync(store), store);
    }

    protected override void CopyItem(string path, string copyPath, bool recurse)
    {
        var from = StorePath(path);
        if (!SameStore(path, copyPath)) return;
        var to = ProviderPath.ToStorePath(copyPath);
        if (!ShouldChange($"{from} -> {to}", "Copy XenStore node")) return;
        var progress = new OperationProgress("Copy-Item", $"Copying {from} to {to}");
        Atomically(ops => CopyAsync(ops, from, to, recurse ? int.MaxValue : 0, progress), from, progress);
    }

    protected override void MoveItem(string path, string destination)
    {
        var from = StorePath(path);
        if (!SameStore(path, destination)) return;
        var to = ProviderPath.ToStorePath(destination);
        // Moving into an existing node puts the item below it, as Move-Item does with folders.
        if (Probe(to) == NodeState.Exists) to = XenStorePath.Combine(to, XenStorePath.Name(from));
        if (ShouldChange($"{from} -> {to}", "Move XenStore node")) Relocate(from, to);
    }

    protected override void RenameItem(string path, string newName)
    {
        var from = StorePath(path);
        if (newName.Length == 0 || newName.Contains('/') || newName.Contains('\\') || !newName.All(XenStorePath.IsValidChar))
        {
            WriteError(new ErrorRecord(new ArgumentException($"'{newName}' is not a valid XenStore node name."), "XenStore.EINVAL", ErrorCategory.InvalidArgument, newName));
            return;
        }
        var to = XenStorePath.Combine(XenStorePath.Parent(from), newName);
        if (Probe(to) != NodeState.Missing)
        {
            WriteError(new ErrorRecord(new IOException($"Cannot rename {from} to {newName}: {to} already exists."), "XenStore.EEXIST", ErrorCategory.ResourceExists, to));
            return;
        }
        if (ShouldChange($"{from} -> {to}", "Rename XenStore node")) Relocate(from, to);
    }

    #endregion

    /// <summary>
    /// -Filter, -Include and -Exclude on a node name, case-sensitively as XenStore names are
    /// (the engine's own matching, which the Include and Exclude capabilities turn off, ignores case).
    /// </summary>
    private Func<string, bool> NameSelector()
    {
        static WildcardPattern[] Patterns(IEnumerable<string>? texts) =>
            texts?.Where(t => !string.IsNullOrEmpty(t)).Select(t => new WildcardPattern(t, WildcardOptions.None)).ToArray() ?? [];
        var filter = Patterns(string.IsNullOrEmpty(Filter) ? null : [Filter]);
        var include = Patterns(Include);
        var exclude = Patterns(Exclude);
        return name => filter.All(p => p.IsMatch(name))
            && (include.Length == 0 || include.Any(p => p.IsMatch(name)))
            && !exclude.Any(p => p.IsMatch(name));
    }

    /// <summary>ShouldProcess for a change, which also drops what was read ahead (it may be changed now).</summary>
    private bool ShouldChange(string target, string action)
    {
        Drive.DriveConnection.Listings.Clear();
        return ShouldProcess(target, action);
    }

    /// <summary>Copy and move stay within one store: a node of one xenstored is not moved to another.</summary>
    private bool SameStore(string path, string destination)
    {
        if (ProviderPath.StorePrefix(destination) == Drive.StorePrefix) return true;
        WriteError(new ErrorRecord(new ArgumentException("Copy and move work within one XenStore; the destination is on another drive's store. Use Export-XenStore and Import-XenStore."),
            "XenStore.CrossStore", ErrorCategory.InvalidArgument, destination));
        return false;
    }

    /// <summary>Move and rename: copy the subtree and remove the original, in one transaction.</summary>
    private void Relocate(string from, string to)
    {
        var progress = new OperationProgress("Move-Item", $"Moving {from} to {to}");
        var moved = Atomically(async ops =>
        {
            await CopyAsync(ops, from, to, int.MaxValue, progress).ConfigureAwait(false);
            await ops.RemoveAsync(from).ConfigureAwait(false);
        }, from, progress);
        if (moved) GetItem(Drive.ProviderPathOf(to));
    }

    private void WriteItem(XenStoreNode node) => WriteItemObject(new XenStoreItem(node), Drive.ProviderPathOf(node.Path), true);

    private enum NodeState { Missing, Exists, Unreadable }

    /// <summary>Whether a node is there, without writing an error: a DIRECTORY, as pyxs' exists does.</summary>
    private NodeState Probe(string store)
    {
        try
        {
            Await(Store.ListAsync(store));
            return NodeState.Exists;
        }
        catch (Exception unreachable) when (XenStoreErrorRecords.IsUnreachable(unreachable))
        {
            throw XenStoreErrorRecords.UnreachableException(unreachable, store);
        }
        catch (XenStoreException e) when (e.Code is XenStoreErrorCode.EACCES)
        {
            return NodeState.Unreadable;
        }
        catch (XenStoreException e) when (e.Code is XenStoreErrorCode.E2BIG)
        {
            return NodeState.Exists;
        }
        catch (XenStoreException)
        {
            return NodeState.Missing;
        }
    }

    /// <summary>
    /// Whether a node a command changes but must not create is there; if not, its one error.
    /// (The engine checks no path without wildcards for a provider that expands them itself.)
    /// </summary>
    private bool Exists(string store)
    {
        if (Probe(store) != NodeState.Missing) return true;
        WriteError(XenStoreErrorRecords.For(new XenStoreException(XenStoreErrorCode.ENOENT, "ENOENT", store), XenStoreErrorCode.ENOENT, "ENOENT", store));
        return false;
    }

    /// <summary>The children's names, or none (with an error written) when they cannot be listed.</summary>
    private List<string> ListOrEmpty(string store) => Run(() => Store.ListAsync(store), store)?.ToList() ?? [];

    /// <summary>
    /// Copies a node (and its subtree to <paramref name="depth"/>) with values and permissions,
    /// the writes of a batch of nodes in flight together (the connection keeps their order, so
    /// a node's SET_PERMS follows its WRITE).
    /// </summary>
    private static async Task CopyAsync(XenStoreOperations ops, string from, string to, int depth, OperationProgress progress)
    {
        const int Batch = 128;
        if (XenStorePath.IsAtOrBelow(to, from))
            throw new XenStoreException(XenStoreErrorCode.EINVAL, "EINVAL", to, $"Cannot copy {from} into itself ({to}).");
        var nodes = await ops.ListRecursiveAsync(from, depth).ConfigureAwait(false);
        progress.SetTotal(nodes.Count);
        foreach (var batch in nodes.Chunk(Batch))
        {
            await Task.WhenAll(batch.Select(node =>
            {
                var target = to + node.Path[from.Length..];
                return Task.WhenAll(ops.WriteAsync(target, node.Value), ops.SetPermissionsAsync(target, node.Permissions));
            })).ConfigureAwait(false);
            progress.Add(batch.Length);
        }
    }

    /// <summary>Runs a change in the drive's ambient transaction, or in one of its own retried on conflict.</summary>
    private bool Atomically(Func<XenStoreOperations, Task> change, string path, OperationProgress? progress = null)
    {
        var current = Drive;
        return current.Transaction is { } ambient
            ? Run(() => change(ambient), path, progress)
            : Run(() => current.Client.RunTransactionAsync(tx => change(tx)), path, progress);
    }

    private bool Run(Func<Task> operation, string path, OperationProgress? progress = null) => Run(async () =>
    {
        await operation().ConfigureAwait(false);
        return true;
    }, path, progress);

    /// <summary>Ctrl+C: stop waiting at once (a request still out is answered later and dropped).</summary>
    private readonly CancellationTokenSource stop = new();

    protected override void StopProcessing() => stop.Cancel();

    /// <summary>
    /// Waits for a request on the pipeline thread: stopped at once by Ctrl+C, and showing the
    /// progress of long work while it waits.
    /// </summary>
    private T Await<T>(Task<T> task, OperationProgress? progress = null)
    {
        try
        {
            // Polled as well as signalled: the engine tells only some provider instances of a
            // stop (not the ones it makes to test a path), but every one sees Stopping.
            while (!task.Wait(200, stop.Token))
            {
                if (Stopping) throw new PipelineStoppedException();
                if (progress?.Next() is { } record) WriteProgress(record);
            }
            if (progress?.Next() is { } last) WriteProgress(last);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (AggregateException)
        {
            // Rethrown unwrapped just below.
        }
        finally
        {
            if (progress is not null) WriteProgress(progress.Completed());
        }
        return task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Waits for a request; a XenStore error becomes one ErrorRecord for that path (the
    /// operation goes on with the next item), an unreachable xenstored stops the command.
    /// </summary>
    private T? Run<T>(Func<Task<T>> operation, string path, OperationProgress? progress = null)
    {
        try
        {
            return Await(operation(), progress);
        }
        catch (Exception failure) when (failure is XenStoreException || XenStoreErrorRecords.IsUnreachable(failure))
        {
            Report(failure, path);
            return default;
        }
    }

    /// <summary>One ErrorRecord for a failure: terminating for an unreachable xenstored, else written.</summary>
    private void Report(Exception failure, string path)
    {
        if (XenStoreErrorRecords.IsUnreachable(failure)) throw XenStoreErrorRecords.UnreachableException(failure, path);
        else if (failure is XenStoreException e) WriteError(XenStoreErrorRecords.For(e, e.Code, e.ErrorName, path));
        else throw failure;
    }
}
