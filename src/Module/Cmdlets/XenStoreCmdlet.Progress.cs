using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>Long work: progress on the pipeline thread, and Ctrl+C cancelling what is outstanding.</summary>
[SuppressMessage("Design", "CA1001", Justification = "Its CancellationTokenSource has no timer or linked token, so there is nothing to release, and disposing it would race with StopProcessing, which PowerShell calls from another thread.")]
public abstract partial class XenStoreCmdlet
{
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
}
