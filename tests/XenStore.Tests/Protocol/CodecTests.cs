using XenStore.Protocol;

namespace XenStore.Tests.Protocol;

public sealed class CodecTests
{
    [Fact]
    public void HeadersAreLittleEndianAsCapturedFromCxenstored()
    {
        // WRITE /a = "hi", req_id 7 (protocol §1.5).
        var bytes = new Message(MessageType.Write, 7, 0, [.. Payloads.Strings("/a"), .. "hi"u8.ToArray()]).ToBytes();
        Assert.Equal(Convert.FromHexString("0b000000070000000000000005000000" + "2f61006869"), bytes);
    }

    [Fact]
    public void EveryMessageTypeRoundTripsThroughTheFrameReaderInArbitraryPieces()
    {
        var random = new Random(3);
        var messages = Enumerable.Range(0, 27).Select(t =>
        {
            var payload = new byte[random.Next(0, Wire.PayloadMax + 1)];
            random.NextBytes(payload);
            return new Message((MessageType)t, (uint)random.Next(), (uint)random.Next(), payload);
        }).ToList();
        var stream = messages.SelectMany(m => m.ToBytes()).ToArray();
        var reader = new FrameReader();
        var decoded = new List<Message>();
        for (var at = 0; at < stream.Length;)
        {
            var n = Math.Min(random.Next(1, 700), stream.Length - at);
            reader.Append(stream.AsSpan(at, n));
            at += n;
            while (reader.TryRead(out var m) == FrameStatus.Message) decoded.Add(m!);
        }
        Assert.Equal(messages.Count, decoded.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.Equal(messages[i].Type, decoded[i].Type);
            Assert.Equal(messages[i].ReqId, decoded[i].ReqId);
            Assert.Equal(messages[i].TxId, decoded[i].TxId);
            Assert.Equal(messages[i].Payload, decoded[i].Payload);
        }
    }

    [Fact]
    public void AnOversizeHeaderIsReportedWithoutConsumingAnything()
    {
        var header = new byte[Wire.HeaderSize];
        Wire.WriteHeader(header, MessageType.Read, 1, 0, Wire.PayloadMax + 1);
        var reader = new FrameReader();
        reader.Append(header);
        Assert.Equal(FrameStatus.Oversize, reader.TryRead(out _));
        Assert.Equal(Wire.HeaderSize, reader.Buffered);
        var tolerant = new FrameReader(maxPayload: 1 << 20);
        tolerant.Append(header);
        Assert.Equal(FrameStatus.Incomplete, tolerant.TryRead(out _));
    }

    [Fact]
    public void PayloadHelpersFollowTheWireRules()
    {
        Assert.Equal(["a", "b", ""], Payloads.Split("a\0b\0\0trailing"u8));
        Assert.True(Payloads.TryGetSingle("/x\0"u8, out var single));
        Assert.Equal("/x", single);
        Assert.False(Payloads.TryGetSingle("/x"u8, out _));
        Assert.False(Payloads.TryGetSingle("/x\0/y\0"u8, out _));
        Assert.True(Payloads.TrySplitWrite([.. "/p\0"u8.ToArray(), 0, 1, 2], out var path, out var value));
        Assert.Equal("/p", path);
        Assert.Equal(new byte[] { 0, 1, 2 }, value);
        Assert.False(Payloads.TrySplitWrite("nonul"u8.ToArray(), out _, out _));
    }

    [Fact]
    public void ErrorNamesMapBothWays()
    {
        Assert.Equal(XenStoreErrorCode.EAGAIN, XenStoreErrors.Parse("EAGAIN"));
        Assert.Equal(XenStoreErrorCode.Unknown, XenStoreErrors.Parse("EQUOTA"));
        Assert.Equal(11, XenStoreErrors.Errno(XenStoreErrorCode.EAGAIN));
        Assert.Equal("ENOENT\0"u8.ToArray(), XenStoreErrors.Payloads[(int)XenStoreErrorCode.ENOENT]);
    }
}
