namespace XenStore.Daemon.Persistence;

/// <summary>CRC-32 (IEEE 802.3, the zlib polynomial), to recognise torn or corrupt records.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint HashToUInt32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFF_FFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
