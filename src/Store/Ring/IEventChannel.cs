namespace XenStore.Ring;

/// <summary>
/// An event channel: a doorbell between two ends of a ring. A notification carries no data;
/// it only means "look at the ring". Notifications may be merged or lost, so both ends
/// also look at the ring without one from time to time.
/// </summary>
public interface IEventChannel : IDisposable
{
    /// <summary>Rings the other end's doorbell.</summary>
    void Notify();

    /// <summary>Completes when a notification arrives (or at once if one is pending).</summary>
    ValueTask WaitAsync(CancellationToken cancellationToken);
}
