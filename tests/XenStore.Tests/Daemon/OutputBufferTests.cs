using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>The event timeout of a connection's output queue, around what a ring has already taken.</summary>
public sealed class OutputBufferTests
{
    private readonly ManualClock clock = new();

    private static List<Message> Frames(byte[] bytes)
    {
        var reader = new FrameReader();
        reader.Append(bytes);
        var messages = new List<Message>();
        while (reader.TryRead(out var m) == FrameStatus.Message) messages.Add(m!);
        Assert.Equal(FrameStatus.Incomplete, reader.TryRead(out _));
        return messages;
    }

    [Fact]
    public void ExpiredEventsGoRepliesStayAndAPartlyTakenEventIsFinished()
    {
        var output = new OutputBuffer(clock, TimeSpan.FromSeconds(20));
        output.AppendEvent("/a", "t");
        output.Append(MessageType.Read, 7, 0, Wire.Encode("reply"));
        output.AppendEvent("/b", "t");
        // A ring takes five bytes of the first event, then the guest stops reading.
        var ring = new byte[5];
        Assert.Equal(5, output.CopyTo(ring));
        clock.Advance(TimeSpan.FromSeconds(21));
        output.AppendEvent("/c", "t");

        var rest = new byte[output.Pending];
        output.CopyTo(rest);
        var messages = Frames([.. ring, .. rest]);
        Assert.Equal(["/a|t|", "reply", "/c|t|"], messages.Select(m => m.Text()));
        Assert.Equal(1, output.ExpiredEvents);
        Assert.Equal(0, output.PendingMessages);
    }

    [Fact]
    public void AnExpiredEventCanBeQueuedAgain()
    {
        var output = new OutputBuffer(clock, TimeSpan.FromSeconds(20));
        output.AppendEvent("/a", "t");
        Assert.Equal(1, output.PendingMessages);
        clock.Advance(TimeSpan.FromSeconds(20));
        output.AppendEvent("/a", "t");
        Assert.Equal(1, output.PendingMessages);
        Assert.Equal(1, output.ExpiredEvents);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, output.DiscardExpired());
    }

    [Fact]
    public void AnEventWhollyInTheRingIsDeliveredAndMayBeQueuedAgain()
    {
        var output = new OutputBuffer(clock, TimeSpan.FromSeconds(20));
        output.AppendEvent("/a", "t");
        output.AppendEvent("/b", "t");
        var ring = new byte[Wire.HeaderSize + 5];
        output.CopyTo(ring);
        // "/a" is delivered while "/b" waits: an identical "/a" is a new event, a second "/b" is not.
        output.AppendEvent("/a", "t");
        output.AppendEvent("/b", "t");
        Assert.Equal(2, output.PendingMessages);
    }

    [Fact]
    public void WithoutATimeoutNothingExpires()
    {
        var output = new OutputBuffer();
        output.AppendEvent("/a", "t");
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, output.DiscardExpired());
        Assert.Equal(1, output.PendingMessages);
    }
}
