using System.Globalization;
using System.Text;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// The header records that name the format of each file: a snapshot starts with
/// "XenStorePS snapshot V\nS" (S: the first journal segment it does not cover), a journal
/// segment with "XenStorePS journal V". A daemon refuses a version it does not know rather
/// than misread it. Segments written before they carried a header are read as version 1.
/// <para>
/// Snapshots: version 1 holds the store as journal records (one PUT per node, each path
/// looked up and each permission list parsed again at load); version 2, written now, holds
/// the tree itself (<see cref="TreeSnapshotWriter"/>), built at load without lookups. A
/// daemon still reads version 1, so one upgraded in place starts from the files it had.
/// </para>
/// </summary>
internal static class PersistenceFormat
{
    /// <summary>The snapshot version written: the tree format.</summary>
    public const int SnapshotVersion = 2;

    /// <summary>Snapshots of version 1, journal records of every node, are still read.</summary>
    public const int JournalRecordsSnapshotVersion = 1;

    /// <summary>The journal segment version written and read.</summary>
    public const int SegmentVersion = 1;

    private const string SnapshotMagic = "XenStorePS snapshot ";
    private const string SegmentMagic = "XenStorePS journal ";

    /// <summary>The last record of a whole snapshot.</summary>
    public static ReadOnlySpan<byte> SnapshotEnd => "end"u8;

    public static byte[] SnapshotHeader(long firstLiveSegment, int version = SnapshotVersion) =>
        Encoding.UTF8.GetBytes($"{SnapshotMagic}{version}\n{firstLiveSegment.ToString(CultureInfo.InvariantCulture)}");

    public static byte[] SegmentHeader() => Encoding.UTF8.GetBytes($"{SegmentMagic}{SegmentVersion}");

    /// <summary>The version of a snapshot and the first journal segment after it, from its header record.</summary>
    public static (int Version, long FirstSegment) ReadSnapshotHeader(string file, byte[] record)
    {
        var lines = Encoding.UTF8.GetString(record).Split('\n');
        if (!lines[0].StartsWith(SnapshotMagic, StringComparison.Ordinal)) throw new InvalidDataException($"{file} is not a XenStorePS snapshot.");
        var version = CheckVersion(file, lines[0][SnapshotMagic.Length..], JournalRecordsSnapshotVersion, SnapshotVersion);
        if (lines.Length < 2 || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            throw new InvalidDataException($"{file} has no valid journal segment number.");
        return (version, first);
    }

    /// <summary>True when <paramref name="record"/> is a segment's header (checking its version); false for a change record.</summary>
    public static bool IsSegmentHeader(string file, byte[] record)
    {
        var magic = Encoding.UTF8.GetBytes(SegmentMagic);
        if (!record.AsSpan().StartsWith(magic)) return false;
        CheckVersion(file, Encoding.UTF8.GetString(record, magic.Length, record.Length - magic.Length), SegmentVersion, SegmentVersion);
        return true;
    }

    private static int CheckVersion(string file, string text, int oldest, int newest)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new InvalidDataException($"{file}: unreadable format version '{text}'.");
        if (version < oldest || version > newest)
        {
            var known = oldest == newest ? $"version {newest}" : $"versions {oldest} to {newest}";
            throw new InvalidDataException($"{file} has format version {version}; this daemon reads {known}. Use the daemon that wrote it, or move the files away.");
        }
        return version;
    }
}
