/// <summary>
/// What the backend driver found by looking again rather than by a watch event. A daemon
/// that bounds the watch events it queues for one connection may drop some when that
/// connection reads too slowly, and the backend driver's one connection carries the events
/// of the whole backend tree while it shares two cores with a thousand other connections.
/// So that a dropped event cannot hang the storm, its waits also look again after
/// <see cref="Poll"/> without an event, and it lists its tree as often. A count above zero
/// means the daemon dropped events (the client's own queues are made large enough never to).
/// The toolstack's and guests' connections carry a few events each and wait on events alone.
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
