using System.Management.Automation;

namespace XenStore.PowerShell;

/// <summary>
/// How far a long provider operation (a recursive copy or move, a big listing) has got,
/// counted by the asynchronous work on any thread and shown by the provider's pipeline thread
/// as it waits, since Write-Progress may only be called from there.
/// </summary>
internal sealed class OperationProgress(string activity, string description)
{
    /// <summary>"XS": one progress bar id for the provider's long operations.</summary>
    internal const int ActivityId = 0x5853;
    private int done;
    private int total;
    private int shown = -1;

    /// <summary>Starts (or, for a transaction tried again, restarts) the count towards <paramref name="count"/>.</summary>
    public void SetTotal(int count)
    {
        Volatile.Write(ref done, 0);
        Volatile.Write(ref total, count);
    }

    public void Add(int count) => Interlocked.Add(ref done, count);

    /// <summary>A record to write when something changed since the last one, else null.</summary>
    public ProgressRecord? Next()
    {
        var now = Volatile.Read(ref done);
        if (now == shown) return null;
        shown = now;
        var all = Volatile.Read(ref total);
        var record = new ProgressRecord(ActivityId, activity, all > 0 ? $"{description}: {now:N0} of {all:N0} nodes" : $"{description}: {now:N0} nodes");
        if (all > 0) record.PercentComplete = (int)Math.Min(100, now * 100L / all);
        return record;
    }

    public ProgressRecord Completed() => new(ActivityId, activity, description) { RecordType = ProgressRecordType.Completed };
}
