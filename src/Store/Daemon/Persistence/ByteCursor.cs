using System.Buffers.Binary;
using System.Text;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// Reads what a <see cref="BinaryWriter"/> wrote (little-endian numbers, 7-bit encoded
/// counts, length-prefixed UTF-8 strings) from a record in place, with no stream, reader or
/// decoder object per record. Running past the end throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ByteCursor(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> bytes = bytes;
    private int position;

    public readonly bool AtEnd => position == bytes.Length;

    public readonly int Remaining => bytes.Length - position;

    /// <summary>A non-negative 32-bit number in at most five bytes.</summary>
    public int ReadCount()
    {
        var result = 0u;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (position >= bytes.Length) throw new InvalidDataException("a number runs past the end of its record");
            var b = bytes[position++];
            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) != 0) continue;
            if (result > int.MaxValue || (shift == 28 && b > 0x0F)) throw new InvalidDataException("a number is out of range");
            return (int)result;
        }
        throw new InvalidDataException("a number is longer than five bytes");
    }

    public byte ReadByte() => Take(1)[0];

    public bool ReadBoolean() => ReadByte() != 0;

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A string as <see cref="BinaryWriter.Write(string)"/> wrote it (invalid UTF-8 becomes U+FFFD, as <see cref="BinaryReader"/> reads it).</summary>
    public string ReadString() => Encoding.UTF8.GetString(TakeCounted());

    /// <summary>The next <paramref name="length"/> bytes, in place.</summary>
    public ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0) throw new InvalidDataException($"a negative length {length}");
        if (length > Remaining) throw new InvalidDataException($"{length} bytes run past the end of their record");
        var taken = bytes.Slice(position, length);
        position += length;
        return taken;
    }

    /// <summary>Bytes after their 7-bit encoded length, in place.</summary>
    public ReadOnlySpan<byte> TakeCounted() => Take(ReadCount());
}
