using System.Management.Automation;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Watches XenStore paths for changes.</para>
/// <para type="description">Without -Wait, writes one watcher per path whose Changed event works with Register-ObjectEvent (the watch is armed when an event subscription arms it, or with -Start). With -Wait, watches every path at once and writes their events to the pipeline as one stream (each event carries its Path and Token) until -Count events in all, -Timeout seconds, or Ctrl+C, and removes every watch on the way out. -Path takes case-sensitive wildcards, which stand for the existing nodes they match (a pattern that matches nothing is the error XenStore.ENOENT); -LiteralPath takes paths exactly as written; items piped from Get-ChildItem or Get-Item are watched on their own drive. Special names @introduceDomain and @releaseDomain work too. A watch fires once at once; events say "look again", not what changed.</para>
/// <para type="description">How -Wait ends, as Wait-Process does: with -Count events it ends silently; when -Timeout elapses before -Count events it writes the non-terminating error XenStore.WatchTimeout (category OperationTimeout; test with -ErrorAction or -ErrorVariable); with -Timeout and no -Count, the timeout is the expected end and is silent. When the connection to the xenstored is lost (the daemon stopped or died), -Wait stops with the terminating error XenStore.ConnectionLost (category ConnectionError).</para>
/// <para type="description">The watcher raises ConnectionLost (event arguments: Exception, Path, Token) when the connection is lost; the watch has then ended and EnableRaisingEvents is false, so Changed subscribers do not wait for ever. Register for it as for Changed: Register-ObjectEvent -InputObject $w -EventName ConnectionLost.</para>
/// </summary>
/// <example><code>$w = Watch-XenStore -Path xs:/local/domain/0; Register-ObjectEvent -InputObject $w -EventName Changed -Action { Write-Host $EventArgs.Path }</code></example>
/// <example><code>Watch-XenStore -Path '@releaseDomain' -Wait -Timeout 2   # quoted: unquoted, @releaseDomain would splat a variable</code></example>
/// <example><code>New-Item xs:/local/domain/0/backend/vif/7/0/state -Value 4 -Force | Out-Null; New-Item xs:/local/domain/0/backend/vbd/7/51712/state -Value 4 -Force | Out-Null; Watch-XenStore -Path xs:/local/domain/0/backend/v* -Wait -Count 2 -Timeout 5   # one stream for both matches: the first event of each watch</code></example>
/// <example><code>New-Item xs:/local/domain/0/backend/vif/7/0/state -Value 4 -Force | Out-Null; Get-ChildItem xs:/local/domain/0/backend/vif | Watch-XenStore -Wait -Count 1 -Timeout 5 | Format-List Path, Token</code></example>
/// <example><code>$w = Watch-XenStore -Path xs:/local/domain/0; Register-ObjectEvent -InputObject $w -EventName ConnectionLost -Action { Write-Warning $EventArgs.Exception.Message } | Out-Null</code></example>
[Cmdlet(VerbsCommon.Watch, "XenStore", DefaultParameterSetName = "Path")]
[OutputType(typeof(XenStoreWatcher), typeof(XenStoreWatchEventArgs))]
public sealed class WatchXenStoreCommand : XenStorePathCmdlet
{
    /// <summary>The paths to watch (PowerShell paths on a XenStore drive, or @introduceDomain / @releaseDomain); case-sensitive wildcards stand for the existing nodes they match, a path without them may name a node that does not exist yet.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    /// <summary>The paths to watch, taken exactly as written (no wildcards); bound from the PSPath of piped items.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath")]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>The watch token (default: a unique one per watch). One connection holds one watch per token, so a second path on the same drive with the same -Token is refused with XenStore.EEXIST: leave it out when watching several paths.</summary>
    [Parameter]
    public string? Token { get; set; }

    /// <summary>The drive for special names (default: the current XenStore drive, else xs:).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    /// <summary>Arm each watcher at once instead of on its first event subscription (not with -Wait).</summary>
    [Parameter]
    public SwitchParameter Start { get; set; }

    /// <summary>Watch all the paths and write their events to the pipeline as one stream until -Count, -Timeout or Ctrl+C.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>With -Wait: seconds to wait at most, for all the paths together (-1: no limit).</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateRange(-1, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    /// <summary>With -Wait: stop after this many events, counted over all the paths.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = int.MaxValue;

    /// <summary>With -Wait: leave out the event each watch fires when it is registered.</summary>
    [Parameter]
    public SwitchParameter SkipInitial { get; set; }

    /// <summary>With -Wait, the paths are gathered first and watched together in EndProcessing.</summary>
    private readonly List<(XenStoreDriveInfo Drive, string StorePath)> targets = [];

    protected override void BeginProcessing()
    {
        if (Wait && Start)
            Refuse("-Start arms watchers for Register-ObjectEvent and -Wait streams events: give one or the other.");
        if (!Wait && (Bound(nameof(Timeout)) || Bound(nameof(Count)) || Bound(nameof(SkipInitial))))
            Refuse("-Timeout, -Count and -SkipInitial go with -Wait.");
    }

    private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    private void Refuse(string message) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), "XenStore.EINVAL", ErrorCategory.InvalidArgument, null));

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == "LiteralPath";
        foreach (var path in literal ? LiteralPath : Path)
        {
            // Special watch names are no nodes: they go to -Drive (or the current XenStore drive, else xs:).
            IReadOnlyList<(XenStoreDriveInfo Drive, string StorePath)> resolved =
                path.StartsWith('@') && PSDrive is null ? [(ResolveDrive(Drive), path)] : ResolvePaths(path, literal, PSDrive);
            foreach (var (drive, store) in resolved)
            {
                if (Wait)
                {
                    targets.Add((drive, store));
                    continue;
                }
                var watcher = NewWatcher(drive, store);
                if (Start && !Run(() => Task.Run(watcher.Start), store)) continue;
                WriteObject(watcher);
            }
        }
    }

    private XenStoreWatcher NewWatcher(XenStoreDriveInfo drive, string store) =>
        new(drive.Client, store, Token ?? $"ps-{Guid.NewGuid():N}"[..16], drive.Name);

    protected override void EndProcessing()
    {
        if (!Wait || targets.Count == 0) return;
        var watchers = new List<XenStoreWatcher>();
        try
        {
            foreach (var (drive, store) in targets)
            {
                var watcher = NewWatcher(drive, store);
                try
                {
                    if (Run(() => Task.Run(() => watcher.StartStreaming(StopToken)), store)) watchers.Add(watcher);
                }
                catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
                {
                    throw new PipelineStoppedException();
                }
            }
            if (watchers.Count > 0) Stream(watchers);
        }
        finally
        {
            Unwatch(watchers);
        }
    }

    /// <summary>
    /// UNWATCH for every watch at once, waited for a few seconds at most: Ctrl+C ends the
    /// command promptly even when the xenstored does not answer.
    /// </summary>
    private static void Unwatch(List<XenStoreWatcher> watchers)
    {
        if (watchers.Count == 0) return;
        try
        {
            Task.WhenAll(watchers.Select(w => Task.Run(w.Dispose))).Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // A connection gone meanwhile: its watches have ended already.
        }
    }

    /// <summary>
    /// Takes the events of all the watches on the pipeline thread (WriteObject may not be
    /// called from another): one read waits on each watch, and the earliest event is written first.
    /// </summary>
    private void Stream(List<XenStoreWatcher> watchers)
    {
        using var timeout = Timeout < 0 ? new CancellationTokenSource() : new CancellationTokenSource(TimeSpan.FromSeconds(Timeout));
        using var both = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, StopToken);
        var written = 0;
        // Taken now: a lost connection ends the watch and takes it from the watcher.
        var open = watchers.Select(w => new Reader(w, w.ClientWatch!, SkipInitial.IsPresent)).ToList();
        foreach (var reader in open) reader.Next(both.Token);
        while (written < Count && open.Count > 0)
        {
            Task.WaitAny(open.Select(r => (Task)r.Pending!).ToArray());
            // Of the reads that are done, the one that ended its watch, else the earliest event.
            var done = open.Where(r => r.Pending!.IsCompleted)
                .OrderBy(r => r.Pending!.IsCompletedSuccessfully && r.Pending.Result is { } e ? e.TimeGenerated : DateTime.MinValue)
                .First();
            if (both.IsCancellationRequested || !done.Pending!.IsCompletedSuccessfully)
            {
                if (!both.IsCancellationRequested) done.Pending!.GetAwaiter().GetResult(); // an unexpected failure: let it be seen
                // -Timeout or Ctrl+C, whichever came: an event read meanwhile is left unwritten.
                if (timeout.IsCancellationRequested && !StopToken.IsCancellationRequested) TimedOut(written);
                return;
            }
            var next = done.Pending.Result;
            if (next is null)
            {
                if (done.Watcher.Error is { } lost) ThrowTerminatingError(XenStoreErrorRecords.Unreachable(lost, done.Watcher.Path));
                // Ended without a lost connection (its drive was disconnected): the others go on.
                open.Remove(done);
                continue;
            }
            done.Next(both.Token);
            if (done.SkipNext)
            {
                done.SkipNext = false;
                continue;
            }
            WriteObject(new XenStoreWatchEventArgs(next.Path, next.Token, next.TimeGenerated));
            written++;
        }
    }

    /// <summary>One watch of the stream and its outstanding read.</summary>
    private sealed class Reader(XenStoreWatcher watcher, Client.XenStoreWatch watch, bool skipInitial)
    {
        public XenStoreWatcher Watcher { get; } = watcher;
        public Task<Client.XenStoreWatchEvent?>? Pending { get; private set; }
        public bool SkipNext { get; set; } = skipInitial;

        public void Next(CancellationToken cancellationToken) => Pending = watch.ReadAsync(cancellationToken).AsTask();
    }

    /// <summary>What the watch was on, as the timeout error says it: drive and path of each watch.</summary>
    private string Watched() => string.Join(", ", targets.Select(t => $"{t.Drive.Name}:{t.StorePath}"));

    /// <summary>
    /// -Timeout elapsed: an error only when -Count was asked for and not reached (the script
    /// waited for something that did not happen); a plain -Timeout is the end the user chose.
    /// </summary>
    private void TimedOut(int written)
    {
        if (!Bound(nameof(Count))) return;
        WriteError(new ErrorRecord(
            new TimeoutException($"Watch-XenStore {Watched()}: {written} of {Count} event(s) within {Timeout} s."),
            "XenStore.WatchTimeout", ErrorCategory.OperationTimeout, targets.Count == 1 ? targets[0].StorePath : Watched()));
    }
}
