using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// Framing of journal and snapshot files: each record is its length, a CRC-32 of its bytes,
/// then the bytes. A record cut short or failing its CRC ends the readable part of a file:
/// a crash can only ever tear the last record, which was never acknowledged.
/// </summary>
internal static class RecordFile
{
    public const int HeaderSize = 8;

    /// <summary>Largest record accepted when reading: anything bigger is corruption.</summary>
    public const int MaxRecord = 256 << 20;

    public static void Write(Stream stream, ReadOnlySpan<byte> record) => stream.Write(Frame(record));

    /// <summary>A record with its header, ready to be written in one piece.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> record)
    {
        var framed = new byte[HeaderSize + record.Length];
        BinaryPrimitives.WriteInt32LittleEndian(framed, record.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(framed.AsSpan(4), Crc32.HashToUInt32(record));
        record.CopyTo(framed.AsSpan(HeaderSize));
        return framed;
    }

    /// <summary>
    /// Reads whole, intact records from the start of a file. Returns them and the offset where
    /// intact data ends; <paramref name="damage"/> says why reading stopped early, if it did.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static List<byte[]> ReadAll(string path, out long intactLength, out string? damage)
    {
        var records = new List<byte[]>();
        damage = null;
        intactLength = 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var header = new byte[HeaderSize];
        while (true)
        {
            var got = stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
            if (got == 0) break;
            if (got < HeaderSize)
            {
                damage = $"torn record header at offset {intactLength}";
                break;
            }
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (length < 0 || length > MaxRecord)
            {
                damage = $"impossible record length {length} at offset {intactLength}";
                break;
            }
            var body = new byte[length];
            if (stream.ReadAtLeast(body, length, throwOnEndOfStream: false) < length)
            {
                damage = $"torn record at offset {intactLength}";
                break;
            }
            if (Crc32.HashToUInt32(body) != crc)
            {
                damage = $"corrupt record (CRC mismatch) at offset {intactLength}";
                break;
            }
            records.Add(body);
            intactLength += HeaderSize + length;
        }
        return records;
    }
}
