using XenStore.Daemon.Persistence;

namespace XenStore.Tests.Persistence;

/// <summary>The record CRC is zlib's CRC-32, whatever the length and alignment of the data (files written before stay readable).</summary>
public sealed class Crc32Tests
{
    [Fact]
    public void MatchesTheStandardCheckValue() => Assert.Equal(0xCBF4_3926u, Crc32.HashToUInt32("123456789"u8));

    [Fact]
    public void MatchesAByteAtATimeCrcForAnyLengthAndOffset()
    {
        var data = new byte[300];
        new Random(7).NextBytes(data);
        for (var offset = 0; offset < 9; offset++)
            for (var length = 0; length + offset <= data.Length; length += 1 + length / 8)
                Assert.Equal(ByteAtATime(data.AsSpan(offset, length)), Crc32.HashToUInt32(data.AsSpan(offset, length)));
    }

    private static uint ByteAtATime(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFF_FFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB8_8320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
