using System.Globalization;
using System.Text;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// The header records that name the format of each file: a snapshot starts with
/// "XenStorePS snapshot V\nS" (S: the first journal segment it does not cover), a journal
/// segment with "XenStorePS journal V". A daemon refuses a version it does not know rather
/// than misread it. Segments written before they carried a header are read as version 1.
/// </summary>
internal static class PersistenceFormat
{
    public const int Version = 1;
    private const string SnapshotMagic = "XenStorePS snapshot ";
    private const string SegmentMagic = "XenStorePS journal ";

    public static byte[] SnapshotHeader(long firstLiveSegment) =>
        Encoding.UTF8.GetBytes($"{SnapshotMagic}{Version}\n{firstLiveSegment.ToString(CultureInfo.InvariantCulture)}");

    public static byte[] SegmentHeader() => Encoding.UTF8.GetBytes($"{SegmentMagic}{Version}");

    /// <summary>The first journal segment after a snapshot, from its header record.</summary>
    public static long ReadSnapshotHeader(string file, byte[] record)
    {
        var lines = Encoding.UTF8.GetString(record).Split('\n');
        if (!lines[0].StartsWith(SnapshotMagic, StringComparison.Ordinal)) throw new InvalidDataException($"{file} is not a XenStorePS snapshot.");
        CheckVersion(file, lines[0][SnapshotMagic.Length..]);
        if (lines.Length < 2 || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            throw new InvalidDataException($"{file} has no valid journal segment number.");
        return first;
    }

    /// <summary>True when <paramref name="record"/> is a segment's header (checking its version); false for a change record.</summary>
    public static bool IsSegmentHeader(string file, byte[] record)
    {
        var magic = Encoding.UTF8.GetBytes(SegmentMagic);
        if (!record.AsSpan().StartsWith(magic)) return false;
        CheckVersion(file, Encoding.UTF8.GetString(record, magic.Length, record.Length - magic.Length));
        return true;
    }

    private static void CheckVersion(string file, string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new InvalidDataException($"{file}: unreadable format version '{text}'.");
        if (version != Version)
            throw new InvalidDataException($"{file} has format version {version}; this daemon reads version {Version}. Use the daemon that wrote it, or move the files away.");
    }
}
