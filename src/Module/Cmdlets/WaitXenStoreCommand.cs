using System.Management.Automation;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Waits until a XenStore node exists, has a value, or meets a condition.</para>
/// <para type="description">Registers a XenStore watch on each path and looks at the node again on every event (the watch's first event included), so it wakes when the node changes rather than polling. Without -Value or -Condition it waits for the node to exist; with -Value, for that exact value (the usual case: a backend's state reaching 4, Connected); with -Condition, until the script block returns true, with $_ the node as Get-Item shows it ($null while it does not exist) and $args[0] its value. Several paths are waited for together within one -TimeoutSec; a path still not there when it runs out gets the non-terminating error XenStore.WaitTimeout (OperationTimeout), as Wait-Process -Timeout does. Ctrl+C stops the wait at once.</para>
/// </summary>
/// <example><code>New-Item xs:/local/domain/0/backend/vbd/7/51712/state -Value 4 -Force | Out-Null; Wait-XenStore -Path xs:/local/domain/0/backend/vbd/7/51712/state -Value 4 -TimeoutSec 30</code></example>
/// <example><code>New-Item xs:/local/domain/0/demo/count -Value 7 -Force | Out-Null; Wait-XenStore xs:/local/domain/0/demo/count -Condition { [int]$args[0] -ge 5 } -TimeoutSec 10 -PassThru</code></example>
/// <example><code>New-Item xs:/local/domain/0/backend/vif/7/0/state -Value 4 -Force | Out-Null; Get-ChildItem xs:/local/domain/0/backend -Recurse -Filter state | Wait-XenStore -Value 4 -TimeoutSec 10 -PassThru</code></example>
/// <example><code>Wait-XenStore -Path xs:/local/domain/0/not-yet -TimeoutSec 1 -ErrorAction SilentlyContinue -ErrorVariable late; $late[0].FullyQualifiedErrorId</code></example>
[Cmdlet(VerbsLifecycle.Wait, "XenStore", DefaultParameterSetName = "Path")]
[OutputType(typeof(XenStoreItem))]
public sealed class WaitXenStoreCommand : XenStorePathCmdlet
{
    /// <summary>The nodes to wait for (PowerShell paths on a XenStore drive; a path with wildcards stands for the existing nodes it matches, a path without them may name a node that does not exist yet).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Path { get; set; } = [];

    /// <summary>The nodes to wait for, taken exactly as written (no wildcards); bound from the PSPath of piped items.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath")]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Wait until the node's value is exactly this text.</summary>
    [Parameter]
    public string? Value { get; set; }

    /// <summary>Wait until this script block returns true; $_ is the node as Get-Item shows it ($null while it does not exist), $args[0] its value.</summary>
    [Parameter]
    public ScriptBlock? Condition { get; set; }

    /// <summary>Seconds to wait at most for all the paths together (default: no limit; 0 looks once).</summary>
    [Parameter]
    [Alias("Timeout")]
    [ValidateRange(0, int.MaxValue)]
    public int TimeoutSec { get; set; } = -1;

    /// <summary>Write each node, as Get-Item shows it, once it meets the wait.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly List<(XenStoreDriveInfo Drive, string StorePath)> targets = [];

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == "LiteralPath";
        foreach (var path in literal ? LiteralPath : Path)
        {
            if (path.StartsWith('@'))
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{path}' is a special watch, not a node: use Watch-XenStore -Wait for its events."),
                    "XenStore.EINVAL", ErrorCategory.InvalidArgument, path));
                continue;
            }
            targets.AddRange(ResolvePaths(path, literal, PSDrive));
        }
    }

    /// <summary>The paths are gathered first, so one deadline covers them all, as Wait-Process does.</summary>
    protected override void EndProcessing()
    {
        var deadline = TimeoutSec < 0 ? (DateTime?)null : DateTime.UtcNow.AddSeconds(TimeoutSec);
        foreach (var (drive, path) in targets) WaitFor(drive, path, deadline);
    }

    /// <summary>What the wait is for, as the progress bar and the timeout error say it.</summary>
    private string Goal(string path) => Value is not null ? $"{path} = \"{Value}\"" : Condition is not null ? $"{path} to meet {{{Condition}}}" : $"{path} to exist";

    private void WaitFor(XenStoreDriveInfo drive, string path, DateTime? deadline)
    {
        // The watch goes on the drive's connection, not in an open drive transaction, which would never see others' changes.
        var watch = Run(() => drive.Client.WatchAsync(path, cancellationToken: StopToken), path);
        if (watch is null) return;
        try
        {
            var started = DateTime.UtcNow;
            // Looked at once before any event, so -TimeoutSec 0 still sees a node that is already there.
            for (var first = true; ; first = false)
            {
                if (!first && !NextEvent(watch, path, deadline, started)) return;
                var (met, node) = Check(drive, path);
                if (met is null) return;
                if (met.Value)
                {
                    if (PassThru && node is not null) WriteObject(new XenStoreItem(node));
                    return;
                }
            }
        }
        finally
        {
            try
            {
                Task.Run(() => watch.DisposeAsync().AsTask()).Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // The watch's stream has ended here already; a daemon that cannot take the UNWATCH keeps only a watch nobody reads.
            }
            WriteProgress(new ProgressRecord(1, "Wait-XenStore", Goal(path)) { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>
    /// Takes the watch's next event on the pipeline thread, showing progress each second;
    /// false once the deadline passes (the timeout error is written) or the watch ends.
    /// </summary>
    private bool NextEvent(XenStoreWatch watch, string path, DateTime? deadline, DateTime started)
    {
        using var timeout = deadline is { } d ? new CancellationTokenSource(Max(d - DateTime.UtcNow, TimeSpan.Zero)) : new CancellationTokenSource();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, StopToken);
        var next = watch.ReadAsync(both.Token).AsTask();
        while (!((IAsyncResult)next).AsyncWaitHandle.WaitOne(1000))
        {
            var waited = (int)(DateTime.UtcNow - started).TotalSeconds;
            WriteProgress(new ProgressRecord(1, "Wait-XenStore", $"Waiting for {Goal(path)} ({waited} s)")
            {
                SecondsRemaining = deadline is { } end ? (int)Max(end - DateTime.UtcNow, TimeSpan.Zero).TotalSeconds : -1,
            });
        }
        if (next.IsCompletedSuccessfully)
        {
            if (next.Result is not null) return true;
            // The watch ended under us: the drive's connection is gone.
            ThrowTerminatingError(XenStoreErrorRecords.Unreachable(new XenStoreConnectionException($"The connection ended while waiting for {Goal(path)}."), path));
        }
        if (StopToken.IsCancellationRequested) throw new PipelineStoppedException();
        WriteError(new ErrorRecord(new TimeoutException($"Timed out after {TimeoutSec} s waiting for {Goal(path)}."),
            "XenStore.WaitTimeout", ErrorCategory.OperationTimeout, path));
        return false;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>
    /// Reads the node and tests it: true or false, or null when reading failed (the error is
    /// written). A node that cannot be read (EACCES) still exists.
    /// </summary>
    private (bool? Met, XenStoreNode? Node) Check(XenStoreDriveInfo drive, string path)
    {
        XenStoreNode? node;
        try
        {
            node = drive.Client.GetNodeAsync(path, StopToken).GetAwaiter().GetResult();
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
        {
            node = null;
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.EACCES && Value is null && Condition is null)
        {
            return (true, null);
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (XenStoreException e)
        {
            WriteError(XenStoreErrorRecords.For(e, e.Code, e.ErrorName, path));
            return (null, null);
        }
        catch (Exception unreachable) when (XenStoreErrorRecords.IsUnreachable(unreachable))
        {
            ThrowTerminatingError(XenStoreErrorRecords.Unreachable(unreachable, path));
            throw;
        }
        if (Condition is not null)
        {
            var item = node is null ? null : new XenStoreItem(node);
            var result = Condition.InvokeWithContext(null, [new PSVariable("_", item)], item?.Value);
            return (result.Count > 0 && LanguagePrimitives.IsTrue(result[^1]), node);
        }
        if (node is null) return (false, null);
        return (Value is null || new XenStoreItem(node).Value == Value, node);
    }
}
