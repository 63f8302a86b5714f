using System.Runtime.InteropServices;
using XenStore.Ring;

namespace XenStore.Tests.Ring;

/// <summary>The ring's index arithmetic on plain memory, both ends in one test.</summary>
public sealed unsafe class SharedRingTests : IDisposable
{
    private readonly byte* page = (byte*)NativeMemory.AllocZeroed(RingLayout.PageSize);
    private readonly SharedRing guest;
    private readonly SharedRing daemon;

    public SharedRingTests()
    {
        guest = new SharedRing(page, RingSide.Guest);
        daemon = new SharedRing(page, RingSide.Daemon);
    }

    public void Dispose() => NativeMemory.Free(page);

    [Fact]
    public void MessagesWrapAroundTheRingAtEveryOffset()
    {
        var random = new Random(7);
        for (var start = 0; start < RingLayout.RingSize; start++)
        {
            // Move both indices to an arbitrary free-running position (they never reset).
            var position = (uint)(0xFFFF_FC00 + start);
            guest.StoreField(RingLayout.RequestProducer, position);
            daemon.StoreField(RingLayout.RequestConsumer, position);
            var message = new byte[1 + random.Next(RingLayout.RingSize)];
            random.NextBytes(message);
            Assert.Equal(message.Length, guest.Write(message));
            var received = new byte[RingLayout.RingSize];
            Assert.Equal(message.Length, daemon.Read(received));
            Assert.Equal(message, received[..message.Length]);
        }
    }

    [Fact]
    public void AFullRingTakesNoMoreUntilTheReaderFreesSpace()
    {
        var data = Enumerable.Range(0, 1500).Select(i => (byte)i).ToArray();
        Assert.Equal(RingLayout.RingSize, guest.Write(data));
        Assert.Equal(0, guest.Writable);
        Assert.Equal(0, guest.Write(data.AsSpan(RingLayout.RingSize)));
        var part = new byte[100];
        Assert.Equal(100, daemon.Read(part));
        Assert.Equal(data[..100], part);
        Assert.Equal(100, guest.Writable);
        Assert.Equal(100, guest.Write(data.AsSpan(RingLayout.RingSize, 100)));
        var rest = new byte[2000];
        Assert.Equal(RingLayout.RingSize, daemon.Read(rest));
        Assert.Equal(data[100..(RingLayout.RingSize + 100)], rest[..RingLayout.RingSize]);
    }

    [Fact]
    public void ResponsesFlowTheOtherWay()
    {
        Assert.Equal(3, daemon.Write("abc"u8));
        var buffer = new byte[8];
        Assert.Equal(0, daemon.Read(buffer));
        Assert.Equal(3, guest.Read(buffer));
        Assert.Equal("abc"u8.ToArray(), buffer[..3]);
    }

    [Fact]
    public void ImpossibleIndicesAreReportedNotTrusted()
    {
        guest.StoreField(RingLayout.RequestProducer, 5000);
        Assert.False(daemon.IndicesValid);
        Assert.Equal(-1, daemon.Readable);
        Assert.Equal(-1, daemon.Read(new byte[16]));
        guest.StoreField(RingLayout.RequestProducer, 0);
        daemon.StoreField(RingLayout.ResponseConsumer, 4000);
        Assert.Equal(-1, daemon.Write("x"u8));
    }

    [Fact]
    public void ResetEmptiesBothRingsAndPoisonsStaleBytes()
    {
        guest.Write("hello"u8);
        daemon.Write("world"u8);
        daemon.Reset();
        Assert.Equal(0, daemon.Readable);
        Assert.Equal(0, guest.Readable);
        Assert.Equal(0xFF, page[0]);
        Assert.Equal(0xFF, page[RingLayout.ResponseRing]);
    }
}
