using System.Management.Automation;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Watches a XenStore path for changes.</para>
/// <para type="description">Without -Wait, returns a watcher whose Changed event works with Register-ObjectEvent (the watch is armed when an event subscription arms it, or with -Start). With -Wait, writes each event to the pipeline until -Count events, -Timeout seconds, or Ctrl+C. Special names @introduceDomain and @releaseDomain work too. A watch fires once at once; events say "look again", not what changed.</para>
/// <para type="description">How -Wait ends, as Wait-Process does: with -Count events it ends silently; when -Timeout elapses before -Count events it writes the non-terminating error XenStore.WatchTimeout (category OperationTimeout; test with -ErrorAction or -ErrorVariable); with -Timeout and no -Count, the timeout is the expected end and is silent. When the connection to the xenstored is lost (the daemon stopped or died), -Wait stops with the terminating error XenStore.ConnectionLost (category ConnectionError).</para>
/// <para type="description">The watcher raises ConnectionLost (event arguments: Exception, Path, Token) when the connection is lost; the watch has then ended and EnableRaisingEvents is false, so Changed subscribers do not wait for ever. Register for it as for Changed: Register-ObjectEvent -InputObject $w -EventName ConnectionLost.</para>
/// </summary>
/// <example><code>$w = Watch-XenStore -Path xs:/local/domain/0; Register-ObjectEvent -InputObject $w -EventName Changed -Action { Write-Host $EventArgs.Path }</code></example>
/// <example><code>Watch-XenStore -Path '@releaseDomain' -Wait -Timeout 2   # quoted: unquoted, @releaseDomain would splat a variable</code></example>
/// <example><code>$w = Watch-XenStore -Path xs:/local/domain/0; Register-ObjectEvent -InputObject $w -EventName ConnectionLost -Action { Write-Warning $EventArgs.Exception.Message } | Out-Null</code></example>
[Cmdlet(VerbsCommon.Watch, "XenStore", DefaultParameterSetName = "Watcher")]
[OutputType(typeof(XenStoreWatcher), ParameterSetName = ["Watcher"])]
[OutputType(typeof(XenStoreWatchEventArgs), ParameterSetName = ["Wait"])]
public sealed class WatchXenStoreCommand : XenStoreCmdlet
{
    /// <summary>The path to watch (a PowerShell path on a XenStore drive, or @introduceDomain / @releaseDomain).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    public string Path { get; set; } = "";

    /// <summary>The watch token (default: a unique one).</summary>
    [Parameter]
    public string? Token { get; set; }

    /// <summary>The drive for special names (default: the current XenStore drive, else xs:).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    /// <summary>Arm the watcher at once instead of on the first event subscription.</summary>
    [Parameter(ParameterSetName = "Watcher")]
    public SwitchParameter Start { get; set; }

    /// <summary>Write events to the pipeline until -Count, -Timeout or Ctrl+C.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Wait")]
    public SwitchParameter Wait { get; set; }

    /// <summary>Seconds to wait at most (-1: no limit).</summary>
    [Parameter(ParameterSetName = "Wait")]
    [Alias("TimeoutSec")]
    [ValidateRange(-1, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    /// <summary>Stop after this many events.</summary>
    [Parameter(ParameterSetName = "Wait")]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = int.MaxValue;

    /// <summary>Leave out the event every watch fires when it is registered.</summary>
    [Parameter(ParameterSetName = "Wait")]
    public SwitchParameter SkipInitial { get; set; }

    private readonly CancellationTokenSource stopping = new();

    protected override void ProcessRecord()
    {
        var (drive, path) = ResolvePath(Path, Drive);
        var watcher = new XenStoreWatcher(drive.Client, path, Token ?? $"ps-{Guid.NewGuid():N}"[..16], drive.Name);
        if (!Wait)
        {
            if (Start && !Run(() => Task.Run(watcher.Start), path)) return;
            WriteObject(watcher);
            return;
        }
        if (!Run(() => Task.Run(watcher.StartStreaming), path)) return;
        try
        {
            Stream(watcher);
        }
        finally
        {
            watcher.Dispose();
        }
    }

    /// <summary>Takes events on the pipeline thread (WriteObject may not be called from another).</summary>
    private void Stream(XenStoreWatcher watcher)
    {
        using var timeout = Timeout < 0 ? new CancellationTokenSource() : new CancellationTokenSource(TimeSpan.FromSeconds(Timeout));
        using var both = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping.Token);
        var written = 0;
        var skip = SkipInitial.IsPresent;
        // Taken now: a lost connection ends the watch and takes it from the watcher.
        var events = watcher.ClientWatch!;
        while (written < Count)
        {
            Client.XenStoreWatchEvent? e;
            try
            {
                e = events.ReadAsync(both.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                if (timeout.IsCancellationRequested && !stopping.IsCancellationRequested) TimedOut(written);
                return;
            }
            if (e is null)
            {
                if (watcher.Error is { } lost) ThrowTerminatingError(XenStoreErrorRecords.Unreachable(lost, Path));
                return;
            }
            if (skip)
            {
                skip = false;
                continue;
            }
            WriteObject(new XenStoreWatchEventArgs(e.Path, e.Token, e.TimeGenerated));
            written++;
        }
    }

    /// <summary>
    /// -Timeout elapsed: an error only when -Count was asked for and not reached (the script
    /// waited for something that did not happen); a plain -Timeout is the end the user chose.
    /// </summary>
    private void TimedOut(int written)
    {
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(Count))) return;
        WriteError(new ErrorRecord(
            new TimeoutException($"Watch-XenStore {Path}: {written} of {Count} event(s) within {Timeout} s."),
            "XenStore.WatchTimeout", ErrorCategory.OperationTimeout, Path));
    }

    protected override void StopProcessing() => stopping.Cancel();
}
