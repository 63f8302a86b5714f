using System.Runtime.CompilerServices;
namespace XenStore.Daemon.Persistence;

/// <summary>
/// CRC-32 (IEEE 802.3, the zlib polynomial), to recognise torn or corrupt records. Eight
/// bytes a step through eight tables ("slicing by 8"): a restart checks every byte of the
/// snapshot and the journal, and one table a byte made that a visible part of it.
/// </summary>
internal static class Crc32
{
    private static readonly uint[][] Tables = BuildTables();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint HashToUInt32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFF_FFFFu;
        var (t0, t1, t2, t3, t4, t5, t6, t7) = (Tables[0], Tables[1], Tables[2], Tables[3], Tables[4], Tables[5], Tables[6], Tables[7]);
        while (data.Length >= 8)
        {
            var low = crc ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data);
            var high = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t7[low & 0xFF] ^ t6[(low >> 8) & 0xFF] ^ t5[(low >> 16) & 0xFF] ^ t4[low >> 24]
                ^ t3[high & 0xFF] ^ t2[(high >> 8) & 0xFF] ^ t1[(high >> 16) & 0xFF] ^ t0[high >> 24];
            data = data[8..];
        }
        foreach (var b in data) crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>Table k gives the CRC of a byte followed by k zero bytes.</summary>
    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        tables[0] = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
            tables[0][i] = c;
        }
        for (var t = 1; t < 8; t++)
        {
            tables[t] = new uint[256];
            for (var i = 0; i < 256; i++) tables[t][i] = tables[0][tables[t - 1][i] & 0xFF] ^ (tables[t - 1][i] >> 8);
        }
        return tables;
    }
}
