using System.Management.Automation;
using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>
/// The provider through the real engine, on one drive: the same suite runs on the embedded
/// xs: drive, on our daemon over its socket, and on cxenstored. It uses the engine paths that
/// Get-Item, Get-ChildItem, Set-Location, New-Item... use ($ExecutionContext.InvokeProvider,
/// SessionState.Path), since only the core cmdlets come with the engine package.
/// </summary>
public abstract class ProviderSuite : IDisposable
{
    protected ProviderSuite(string? socketPath)
    {
        Session = new EngineSession();
        if (socketPath is null) Drive = "xs";
        else
        {
            Drive = "T";
            Session.Run($"Connect-XenStore -Name T -SocketPath '{socketPath}' | Out-Null");
        }
        Root = $"{Drive}:/pstest/p{Guid.NewGuid().ToString("N")[..8]}";
        Store = Root[(Drive.Length + 1)..];
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}', $null, 'node', $null) | Out-Null");
    }

    protected EngineSession Session { get; }
    protected string Drive { get; }

    /// <summary>This test's own subtree, as a PowerShell path (T:/pstest/p1234abcd).</summary>
    protected string Root { get; }

    /// <summary>The same subtree as a XenStore path.</summary>
    protected string Store { get; }

    public void Dispose()
    {
        Session.TryRun($"$ExecutionContext.InvokeProvider.Item.Remove('{Root}', $true)");
        Session.Dispose();
        GC.SuppressFinalize(this);
    }

    private string Value(string relative) => Session.Single<string>($"$ExecutionContext.InvokeProvider.Item.Get('{Root}/{relative}')[0].Value");

    [Fact]
    public void NewItemGetItemSetItemAndTestPath()
    {
        var created = Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/a', $null, 'node', 'hello')");
        var item = Assert.Single(created);
        Assert.Equal("XenStore.PowerShell.XenStoreItem", item.BaseObject.GetType().FullName);
        Assert.Equal($"{Store}/a", Prop(item, "FullName"));
        Assert.Equal("hello", Prop(item, "Value"));
        Assert.Equal("hello", Value("a"));
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Set('{Root}/a', 'world') | Out-Null");
        Assert.Equal("world", Value("a"));
        Assert.True(Session.Single<bool>($"$ExecutionContext.InvokeProvider.Item.Exists('{Root}/a')"));
        Assert.False(Session.Single<bool>($"$ExecutionContext.InvokeProvider.Item.Exists('{Root}/missing')"));
        var psPath = Session.Single<string>($"$ExecutionContext.InvokeProvider.Item.Get('{Root}/a')[0].PSPath");
        // A PSPath names the module's provider and the node's store: /path, or //drive/path for a drive with its own connection.
        Assert.StartsWith("XenStore\\XenStore::", psPath);
        Assert.EndsWith($"{Store}/a", psPath);
        var parent = Session.Single<string>($"$ExecutionContext.InvokeProvider.Item.Get('{Root}/a')[0].PSParentPath");
        Assert.EndsWith(Store, parent);
    }

    [Fact]
    public void NewItemRefusesAnExistingNodeUnlessForced()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/dup', $null, 'node', '1') | Out-Null");
        var (_, errors) = Session.TryRun($"$ExecutionContext.InvokeProvider.Item.New('{Root}/dup', $null, 'node', '2')");
        Assert.Equal("XenStore.EEXIST", ProviderError(errors).FullyQualifiedErrorId);
        Assert.Equal("1", Value("dup"));
    }

    [Fact]
    public void ChildItemsRecurseDepthNamesAndFilter()
    {
        foreach (var p in new[] { "x/a", "x/b/c", "x/b/d/e", "x/f" })
            Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/{p}', $null, 'node', '{p}') | Out-Null");
        string[] Paths(string script) => Session.Run(script).Select(o => ((string)Prop(o, "FullName")!)[(Store.Length + 1)..]).ToArray();
        Assert.Equal(["x/a", "x/b", "x/f"], Paths($"$ExecutionContext.InvokeProvider.ChildItem.Get('{Root}/x', $false)"));
        // As Get-ChildItem -Recurse lists folders: a node's children, then each child's subtree.
        Assert.Equal(["x/a", "x/b", "x/f", "x/b/c", "x/b/d", "x/b/d/e"], Paths($"$ExecutionContext.InvokeProvider.ChildItem.Get('{Root}/x', $true)"));
        Assert.Equal(["x/a", "x/b", "x/f", "x/b/c", "x/b/d"], Paths($"$ExecutionContext.InvokeProvider.ChildItem.Get([string[]]'{Root}/x', $true, [uint32]1, $false, $false)"));
        var names = Session.Run($"$ExecutionContext.InvokeProvider.ChildItem.GetNames('{Root}/x', 'ReturnMatchingContainers', $false)").Select(o => o.ToString());
        Assert.Equal(["a", "b", "f"], names);
        Assert.True(Session.Single<bool>($"$ExecutionContext.InvokeProvider.ChildItem.HasChild('{Root}/x')"));
        Assert.False(Session.Single<bool>($"$ExecutionContext.InvokeProvider.ChildItem.HasChild('{Root}/x/a')"));
        var item = Session.Run($"$ExecutionContext.InvokeProvider.Item.Get('{Root}/x/b')")[0];
        Assert.Equal(2, Prop(item, "ChildCount"));
    }

    [Fact]
    public void WildcardsAreCaseSensitive()
    {
        foreach (var p in new[] { "w/vif0", "w/vif1", "w/VIF2", "w/vbd0" })
            Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/{p}', $null, 'node', '') | Out-Null");
        var matched = Session.Run($"$ExecutionContext.InvokeProvider.Item.Get('{Root}/w/vif*')").Select(o => (string)Prop(o, "Name")!).Order();
        Assert.Equal(["vif0", "vif1"], matched);
    }

    [Fact]
    public void RemoveItemRecursesAndMissingPathsAreItemNotFound()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/r/s/t', $null, 'node', '1') | Out-Null");
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Remove('{Root}/r', $true)");
        Assert.False(Session.Single<bool>($"$ExecutionContext.InvokeProvider.Item.Exists('{Root}/r')"));
        var (_, errors) = Session.TryRun($"$ExecutionContext.InvokeProvider.Item.Get('{Root}/r/s')");
        Assert.Equal(ErrorCategory.ObjectNotFound, ProviderError(errors).CategoryInfo.Category);
    }

    [Fact]
    public void CopyMoveAndRenameKeepValuesAndPermissions()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/src/a', $null, 'node', '1') | Out-Null");
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/src/b/c', $null, 'node', '2') | Out-Null");
        Session.Run($"Set-XenStorePermission -Path '{Root}/src/a' -Permission 'n0','r5'");
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Copy('{Root}/src', '{Root}/copy', $true, 'CopyTargetContainer') | Out-Null");
        Assert.Equal("2", Value("copy/b/c"));
        Assert.Equal(["n0", "r5"], Session.Run($"(Get-XenStorePermission -Path '{Root}/copy/a').Entries").Select(o => o.ToString()));
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Rename('{Root}/copy', 'renamed') | Out-Null");
        Assert.Equal("1", Value("renamed/a"));
        Assert.False(Session.Single<bool>($"$ExecutionContext.InvokeProvider.Item.Exists('{Root}/copy')"));
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Move('{Root}/renamed', '{Root}/moved') | Out-Null");
        Assert.Equal("2", Value("moved/b/c"));
        Assert.False(Session.Single<bool>($"$ExecutionContext.InvokeProvider.Item.Exists('{Root}/renamed')"));
    }

    [Fact]
    public void ClearItemEmptiesTheValue()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/clear', $null, 'node', 'full') | Out-Null");
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Clear('{Root}/clear') | Out-Null");
        Assert.Equal("", Value("clear"));
    }

    [Fact]
    public void ContentIsTheValue()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/c', $null, 'node', 'first') | Out-Null");
        var read = Session.Single<string>($"$r = $ExecutionContext.InvokeProvider.Content.GetReader('{Root}/c'); $r[0].Read(0); $r[0].Close()");
        Assert.Equal("first", read);
        Session.Run($"$ExecutionContext.InvokeProvider.Content.Clear('{Root}/c'); $w = $ExecutionContext.InvokeProvider.Content.GetWriter('{Root}/c'); $w[0].Write(@('line1','line2')) | Out-Null; $w[0].Close()");
        Assert.Equal("line1\nline2", Value("c"));
    }

    [Fact]
    public void PropertiesAreValuePermissionsAndOwner()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/prop', $null, 'node', 'v') | Out-Null");
        var properties = Session.Run($"$ExecutionContext.InvokeProvider.Property.Get('{Root}/prop', $null)")[0];
        Assert.Equal("v", properties.Properties["Value"].Value);
        Assert.Equal(0u, Convert.ToUInt32(properties.Properties["Owner"].Value));
        Session.Run($"$ExecutionContext.InvokeProvider.Property.Set('{Root}/prop', [pscustomobject]@{{ Value = 'changed'; Permissions = 'n0 r3' }}) | Out-Null");
        Assert.Equal("changed", Value("prop"));
        Assert.Equal("n0 r3", Session.Single<string>($"(Get-XenStorePermission -Path '{Root}/prop').ToString()"));
    }

    [Fact]
    public void SetLocationWithRelativePathsAndDotDot()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/loc/inner', $null, 'node', 'in') | Out-Null");
        Session.Run($"$ExecutionContext.SessionState.Path.SetLocation('{Root}/loc') | Out-Null");
        Assert.Equal($"{Drive}:{Store}/loc", Session.Single<string>("$ExecutionContext.SessionState.Path.CurrentLocation.Path"));
        Session.Run("$ExecutionContext.SessionState.Path.SetLocation('inner') | Out-Null");
        Assert.Equal("in", Session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('.')[0].Value"));
        Session.Run("$ExecutionContext.SessionState.Path.SetLocation('..\\..') | Out-Null");
        Assert.Equal($"{Drive}:{Store}", Session.Single<string>("$ExecutionContext.SessionState.Path.CurrentLocation.Path"));
        Assert.Equal("in", Session.Single<string>("$ExecutionContext.InvokeProvider.Item.Get('loc/inner')[0].Value"));
        var (_, errors) = Session.TryRun("$ExecutionContext.SessionState.Path.SetLocation('no-such-node')");
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void ErrorsAreRecordsNamedAfterTheXenStoreError()
    {
        var (_, errors) = Session.TryRun($"$ExecutionContext.InvokeProvider.Item.Get('{Root}/nothing/here')");
        var error = ProviderError(errors);
        Assert.Equal("XenStore.ENOENT", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal($"{Store}/nothing/here", error.TargetObject);
        (_, errors) = Session.TryRun($"Set-XenStorePermission -Path '{Root}/nothing' -Permission 'q1'");
        Assert.Equal("XenStore.EINVAL", ProviderError(errors).FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void WhatIfChangesNothing()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/keep', $null, 'node', 'original') | Out-Null");
        Session.Run($"Set-XenStorePermission -Path '{Root}/keep' -Permission 'n0','r9' -WhatIf");
        Assert.Equal("n0", Session.Single<string>($"(Get-XenStorePermission -Path '{Root}/keep').ToString()"));
    }

    [Fact]
    public void TransactionsGroupProviderOperations()
    {
        Session.Run($"Start-XenStoreTransaction -Drive {Drive} | Out-Null");
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/tx', $null, 'node', 'inside') | Out-Null");
        using (var other = new EngineSession())
        {
            if (Drive != "xs") other.Run($"Connect-XenStore -Name T -SocketPath '{ConnectedSocket}' | Out-Null");
            if (Drive != "xs") Assert.False(other.Single<bool>($"$ExecutionContext.InvokeProvider.Item.Exists('{Root}/tx')"));
        }
        Session.Run($"Complete-XenStoreTransaction -Drive {Drive}");
        Assert.Equal("inside", Value("tx"));

        Session.Run($"Start-XenStoreTransaction -Drive {Drive} | Out-Null");
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Set('{Root}/tx', 'discarded') | Out-Null");
        Session.Run($"Undo-XenStoreTransaction -Drive {Drive}");
        Assert.Equal("inside", Value("tx"));
    }

    [Fact]
    public void InvokeTransactionRetriesOnConflict()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/counter', $null, 'node', '0') | Out-Null");
        Session.Run($"$global:attempts = 0");
        // The first run reads, then a write from outside the transaction makes its commit conflict.
        var output = Session.Run($$"""
            Invoke-XenStoreTransaction -Drive {{Drive}} -ScriptBlock {
                $global:attempts++
                $n = [int]$ExecutionContext.InvokeProvider.Item.Get('{{Root}}/counter')[0].Value
                if ($global:attempts -eq 1) { $c = $ExecutionContext.SessionState.Drive.Get('{{Drive}}').Client; $c.WriteAsync('{{Store}}/counter', '10').GetAwaiter().GetResult() }
                $ExecutionContext.InvokeProvider.Item.Set('{{Root}}/counter', [string]($n + 1)) | Out-Null
                $n + 1
            }
            """);
        Assert.Equal(2, Session.Single<int>("$global:attempts"));
        Assert.Equal("11", Value("counter"));
        Assert.Equal(11, Convert.ToInt32(output.Single().BaseObject));
    }

    [Fact]
    public void WatcherEventsReachTheEngineEventQueue()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/watched', $null, 'node', '') | Out-Null");
        Session.Run($"$global:w = Watch-XenStore -Path '{Root}/watched' -Token 'pstoken'");
        // What Register-ObjectEvent does: subscribe through the engine's event manager (it arms the watcher).
        Session.Run("$ExecutionContext.Events.SubscribeEvent($global:w, 'Changed', 'xs-watch', $null, $null, $false, $false) | Out-Null");
        // Get-Event copies the queue under its lock: enumerating ReceivedEvents while an event arrives throws.
        List<string> Received() => Session.Run("Get-Event -SourceIdentifier 'xs-watch' -ErrorAction Ignore | ForEach-Object { $_.SourceEventArgs.Path }")
            .Select(o => o.ToString()).ToList();
        List<string> WaitFor(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            var seen = Received();
            while (seen.Count < count && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
                seen = Received();
            }
            return seen;
        }
        // The initial event first: a change made while an identical event is still queued may coalesce with it.
        Assert.Single(WaitFor(1));
        Session.Run($"$ExecutionContext.InvokeProvider.Item.Set('{Root}/watched', 'x') | Out-Null");
        var paths = WaitFor(2);
        Assert.Equal([$"{Store}/watched", $"{Store}/watched"], paths.Take(2));
        Assert.True(Session.Single<bool>("$global:w.EnableRaisingEvents"));
        Session.Run("$ExecutionContext.Events.UnsubscribeEvent($ExecutionContext.Events.GetEventSubscribers('xs-watch')[0]); $global:w.Dispose()");
        Assert.False(Session.Single<bool>("$global:w.EnableRaisingEvents"));
    }

    [Fact]
    public void WatchWaitStreamsEventsToThePipeline()
    {
        Session.Run($"$ExecutionContext.InvokeProvider.Item.New('{Root}/stream', $null, 'node', '') | Out-Null");
        var events = Session.Run($"Watch-XenStore -Path '{Root}/stream' -Wait -Count 1 -Timeout 10");
        Assert.Equal($"{Store}/stream", Prop(events.Single(), "Path"));
        var none = Session.Run($"Watch-XenStore -Path '{Root}/stream' -Wait -SkipInitial -Timeout 1");
        Assert.Empty(none);
    }

    protected static ErrorRecord ProviderError(List<ErrorRecord> errors) => XenStoreErrorRecord.Among(errors);

    /// <summary>A property of an output object (the test does not load the module's types itself).</summary>
    protected static object? Prop(PSObject o, string name) => o.Properties[name]?.Value;

    /// <summary>The socket of the drive under test, for a second session; null for xs:.</summary>
    protected virtual string? ConnectedSocket => null;
}

/// <summary>xs:, served by the daemon embedded in the session (no xenstored on this machine's standard paths).</summary>
public sealed class ProviderOnEmbeddedDrive() : ProviderSuite(null);

/// <summary>Our daemon as its own process, over its socket.</summary>
public sealed class ProviderOnOurDaemon(OurDaemonProcess daemon) : ProviderSuite(daemon.Daemon.SocketPath), IClassFixture<OurDaemonProcess>
{
    protected override string? ConnectedSocket => daemon.Daemon.SocketPath;
}

/// <summary>The reference cxenstored.</summary>
[Trait("Needs", "peers")]
public sealed class ProviderOnCxenstored(Cxenstored daemon) : ProviderSuite(daemon.Daemon.SocketPath), IClassFixture<Cxenstored>
{
    protected override string? ConnectedSocket => daemon.Daemon.SocketPath;
}

public sealed class OurDaemonProcess : IDisposable
{
    public StandaloneDaemon Daemon { get; } = StandaloneDaemon.Start();
    public void Dispose() => Daemon.Dispose();
}

public sealed class Cxenstored : IDisposable
{
    public ReferenceDaemon Daemon { get; } = ReferenceDaemon.Start("cxenstored");
    public void Dispose() => Daemon.Dispose();
}
