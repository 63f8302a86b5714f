using System.Threading.Channels;

namespace XenStore.Daemon;

/// <summary>
/// The daemon's log lines, written by a background task, never under the daemon lock: a
/// trace file on a slow disk or a stdout nobody reads stalls only the log. Lines beyond a
/// bounded backlog are dropped and counted, so a blocked log cannot grow the daemon either.
/// </summary>
internal sealed class DaemonLog : IDisposable
{
    private const int Backlog = 65536;

    private readonly Channel<string> lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(Backlog) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TextWriter? trace;
    private readonly Action<string> deliver;

    /// <summary>Started with the first line: a daemon that logs nothing runs no task for it.</summary>
    private Task? writer;
    private long dropped;

    /// <param name="trace">The trace file, if any.</param>
    /// <param name="deliver">Hands a line to the daemon's subscribers (its Log event).</param>
    public DaemonLog(TextWriter? trace, Action<string> deliver)
    {
        this.trace = trace;
        this.deliver = deliver;
    }

    /// <summary>Queues a line; never blocks.</summary>
    public void Write(string line)
    {
        if (!lines.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref dropped);
            return;
        }
        if (Volatile.Read(ref writer) is null)
        {
            var started = new Task<Task>(WriteAsync);
            if (Interlocked.CompareExchange(ref writer, started.Unwrap(), null) is null) started.Start(TaskScheduler.Default);
        }
    }

    private async Task WriteAsync()
    {
        await foreach (var line in lines.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (Interlocked.Exchange(ref dropped, 0) is > 0 and var lost) Emit($"log: {lost} lines dropped (the log could not keep up)");
            Emit(line);
        }
    }

    private void Emit(string line)
    {
        try
        {
            trace?.WriteLine(line);
            deliver(line);
        }
        catch (Exception)
        {
            // A log that cannot be written (or a subscriber that throws) loses lines, never the daemon.
        }
    }

    /// <summary>Writes what is queued (for as long as a stuck log allows), then stops.</summary>
    public void Dispose()
    {
        lines.Writer.TryComplete();
        Volatile.Read(ref writer)?.Wait(TimeSpan.FromSeconds(2));
    }
}
