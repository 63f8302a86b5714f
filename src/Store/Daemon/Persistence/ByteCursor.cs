namespace XenStore.Daemon.Persistence;

/// <summary>
/// Reads 7-bit encoded numbers and length-prefixed bytes from a record in place (what
/// <see cref="BinaryWriter.Write7BitEncodedInt"/> and <see cref="BinaryWriter.Write(string)"/>
/// wrote), with no stream or reader object per record. Running past the end throws
/// <see cref="InvalidDataException"/>.
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

    /// <summary>The next <paramref name="length"/> bytes, in place.</summary>
    public ReadOnlySpan<byte> Take(int length)
    {
        if (length > Remaining) throw new InvalidDataException($"{length} bytes run past the end of their record");
        var taken = bytes.Slice(position, length);
        position += length;
        return taken;
    }

    /// <summary>Bytes after their 7-bit encoded length, in place.</summary>
    public ReadOnlySpan<byte> TakeCounted() => Take(ReadCount());
}
