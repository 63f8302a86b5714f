using XenStore.Protocol;

namespace XenStore.Tests.Fuzz;

/// <summary>
/// What the fuzz findings taught, as named tests (the inputs themselves are replayed from
/// tests/Fuzz/crashes by <see cref="FuzzReplayTests"/>).
/// </summary>
public sealed class FuzzFindingsTests
{
    /// <summary>
    /// crashes/codec/hang-inplace-oversize-header: a receive loop that kept asking for room
    /// without framing spun forever behind an oversize header, where the reader offers none.
    /// The transports frame after every read; this is the contract they rely on.
    /// </summary>
    [Fact]
    public void BehindAnOversizeHeaderOnlyFramingTellsTheStreamIsDead()
    {
        var reader = new FrameReader();
        var header = new byte[Wire.HeaderSize];
        Wire.WriteHeader(header, MessageType.Write, 1, 0, int.MaxValue);
        Commit(reader, header);
        Assert.Equal(FrameStatus.Oversize, reader.TryRead(out _));
        // Filling what is offered leaves no room at all: a reader that does not frame would spin.
        while (reader.GetWriteMemory().Length is var room and > 0) reader.Commit(room);
        Assert.Equal(FrameStatus.Oversize, reader.TryRead(out _));
    }

    [Fact]
    public void WhileAMessageWithinTheLimitIsIncompleteThereIsAlwaysRoom()
    {
        var reader = new FrameReader();
        var bytes = new Message(MessageType.Write, 1, 0, new byte[Wire.PayloadMax]).ToBytes();
        // An earlier message already taken leaves the free space part-way along the buffer.
        Commit(reader, new Message(MessageType.Read, 2, 0, new byte[3000]).ToBytes());
        Assert.Equal(FrameStatus.Message, reader.TryRead(out _));
        for (var at = 0; at < bytes.Length;)
        {
            Assert.Equal(FrameStatus.Incomplete, reader.TryRead(out _));
            var room = reader.GetWriteMemory();
            Assert.True(room.Length > 0, $"no room with {at} of {bytes.Length} bytes received");
            var n = Math.Min(Math.Min(room.Length, 1000), bytes.Length - at);
            bytes.AsSpan(at, n).CopyTo(room.Span);
            reader.Commit(n);
            at += n;
        }
        Assert.Equal(FrameStatus.Message, reader.TryRead(out var message));
        Assert.Equal(Wire.PayloadMax, message!.Payload.Length);
    }

    private static void Commit(FrameReader reader, ReadOnlySpan<byte> bytes)
    {
        var room = reader.GetWriteMemory();
        bytes.CopyTo(room.Span);
        reader.Commit(bytes.Length);
    }
}
