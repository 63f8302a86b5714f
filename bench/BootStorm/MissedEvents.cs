/// <summary>
/// What the backend driver found by looking again rather than by a watch event. A daemon may
/// drop watch events for a connection that reads them too slowly (oxenstored 4.17 does, past
/// its 1024 queued events, for dom0's connections too), and here the backend driver, whose
/// one connection carries the whole backend tree's events, shares two cores with a thousand
/// other connections. So its waits also look again after <see cref="Poll"/> without an
/// event, and it lists its tree as often. A count above zero means the daemon dropped events
/// (the client's own queues are made large enough never to). The toolstack's and guests'
/// connections carry a few events each and wait on events alone.
/// </summary>
internal sealed class MissedEvents(TimeSpan poll)
{
    private long count;

    /// <summary>For waits on events alone.</summary>
    public static MissedEvents None => new(Timeout.InfiniteTimeSpan);

    public TimeSpan Poll { get; } = poll;

    public long Count => Interlocked.Read(ref count);

    public void Found() => Interlocked.Increment(ref count);
}
