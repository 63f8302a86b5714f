namespace XenStore.Fuzz;

/// <summary>
/// How a target feeds its input: a socket or a ring hands the daemon bytes in arbitrary
/// pieces, so the first input byte picks the piece size and the reassembly is fuzzed too.
/// </summary>
internal static class Chunking
{
    // Sizes that split headers (1..7), payloads (16, 61) and several messages (509) alike.
    private static readonly int[] Sizes = [int.MaxValue, 1, 2, 3, 7, 16, 61, 509];

    /// <summary>Piece size chosen by bits 1..3 of the control byte.</summary>
    public static int Size(byte control) => Sizes[(control >> 1) & 7];

    /// <summary>Offsets and lengths of <paramref name="size"/>-byte pieces of <paramref name="dataLength"/> bytes (the last may be shorter).</summary>
    public static IEnumerable<(int Offset, int Length)> Pieces(int dataLength, int size)
    {
        for (var at = 0; at < dataLength; at += Math.Min(size, dataLength - at))
            yield return (at, Math.Min(size, dataLength - at));
    }
}
