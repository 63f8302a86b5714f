using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// Arbitrary bytes through the framing, then every payload through the parsers a request
/// meets: NUL-separated arguments, WRITE's path/value split, paths and permission lists.
/// Byte 0 picks how the stream is fed (see <see cref="Chunking"/>; bit 0: Append or the
/// receive-in-place GetWriteMemory/Commit path), the rest is the stream.
/// </summary>
internal static class CodecTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        var inPlace = (input[0] & 1) != 0;
        var data = input[1..];
        var reader = new FrameReader();
        var consumed = 0;
        foreach (var (offset, length) in Chunking.Pieces(data.Length, Chunking.Size(input[0])))
        {
            var piece = data.Slice(offset, length);
            if (inPlace)
            {
                // What is buffered here is part of one message: the room offered must let it complete.
                var memory = reader.GetWriteMemory();
                Check.That(memory.Length >= Wire.HeaderSize + Wire.PayloadMax - reader.Buffered, "GetWriteMemory offers room for the rest of a largest message");
                // A piece larger than the room offered is received in several reads, as from a
                // socket, and like a transport the target frames after each read: behind an
                // oversize header the reader offers no room, and only framing notices that.
                while (!piece.IsEmpty)
                {
                    memory = reader.GetWriteMemory();
                    var n = Math.Min(piece.Length, memory.Length);
                    piece[..n].CopyTo(memory.Span);
                    reader.Commit(n);
                    piece = piece[n..];
                    if (!ReadAll(reader, data, ref consumed)) return;
                }
            }
            else
            {
                reader.Append(piece);
                if (!ReadAll(reader, data, ref consumed)) return;
            }
        }
        Check.That(reader.Buffered == data.Length - consumed, "the reader holds exactly the bytes not yet framed");
    }

    /// <summary>Frames what is buffered; false once the stream is unusable (oversize header).</summary>
    private static bool ReadAll(FrameReader reader, ReadOnlySpan<byte> data, ref int consumed)
    {
        while (true)
        {
            switch (reader.TryRead(out var message))
            {
                case FrameStatus.Incomplete:
                    return true;
                case FrameStatus.Oversize:
                    Check.That(Wire.ReadHeader(data[consumed..]).Length > Wire.PayloadMax, "only a header over the limit is oversize");
                    return false;
            }
            Check.That(message is not null, "a framed message is returned");
            var bytes = message!.ToBytes();
            Check.That(message.Payload.Length <= Wire.PayloadMax, "no payload over the limit is framed");
            Check.That(data.Length - consumed >= bytes.Length && bytes.AsSpan().SequenceEqual(data.Slice(consumed, bytes.Length)),
                "a framed message re-encodes to exactly the bytes it came from");
            consumed += bytes.Length;
            PayloadChecks.Run(message);
        }
    }
}
