namespace XenStore.Tests.Infrastructure;

/// <summary>A clock that moves only when a test says so, for timeouts tested without waiting.</summary>
public sealed class ManualClock : TimeProvider
{
    private long ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
