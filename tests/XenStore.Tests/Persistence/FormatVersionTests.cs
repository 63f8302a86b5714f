using System.Text;
using System.Text.RegularExpressions;
using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// Snapshots and journal segments say which format they are in, in their first record, so a
/// daemon meeting files of a format it does not know refuses them by name instead of
/// misreading them. (Loose on purpose: only "XenStorePS", a kind and a version number.)
/// </summary>
public sealed class FormatVersionTests : IDisposable
{
    private static readonly Regex SnapshotHeader = new(@"^(XenStorePS snapshot )(\d+)");
    private static readonly Regex SegmentHeader = new(@"^(XenStorePS\D*?)(\d+)");

    private readonly string directory = TestEnvironment.NewRunDir("format");

    private string BasePath => Path.Combine(directory, "store");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private XenStoreDaemon Open() =>
        new(new DaemonOptions { Persistence = new PersistenceOptions(BasePath) { SnapshotAfterBytes = 4096 } });

    /// <summary>Writes enough for snapshots, then (after a restart) a little more into the journal.</summary>
    private void MakeStore()
    {
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            for (var i = 0; i < 200; i++) c.Ok(c.Write($"/f/n{i}", $"value-{i}".PadRight(60, '.')));
        }
        Assert.True(File.Exists(BasePath + ".snapshot"), "no snapshot was written");
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            for (var i = 0; i < 3; i++) c.Ok(c.Write($"/g/n{i}", "after"));
        }
    }

    private string[] Segments() => Directory.GetFiles(directory, "store.journal.*").Order(StringComparer.Ordinal).ToArray();

    private static string FirstRecord(string file)
    {
        var records = RecordFile.ReadAll(file, out _, out _);
        Assert.True(records.Count > 0, $"{Path.GetFileName(file)} holds no whole record");
        return Encoding.UTF8.GetString(records[0]);
    }

    /// <summary>Rewrites a file with its first record's version number changed.</summary>
    private static void SetVersion(string file, Regex header, string version)
    {
        var records = RecordFile.ReadAll(file, out _, out _);
        var first = Encoding.UTF8.GetString(records[0]);
        Assert.Matches(header, first);
        records[0] = Encoding.UTF8.GetBytes(header.Replace(first, m => m.Groups[1].Value + version, 1));
        using var stream = new FileStream(file, FileMode.Create, FileAccess.Write);
        foreach (var record in records) RecordFile.Write(stream, record);
    }

    [Fact]
    public void SnapshotsAndJournalSegmentsStartWithTheirFormatAndVersion()
    {
        MakeStore();
        Assert.Matches(SnapshotHeader, FirstRecord(BasePath + ".snapshot"));
        var written = Segments().Where(s => new FileInfo(s).Length > 0).ToList();
        Assert.NotEmpty(written);
        foreach (var segment in written)
            Assert.True(SegmentHeader.IsMatch(FirstRecord(segment)),
                $"{Path.GetFileName(segment)} does not start with a header record naming its format and version");
    }

    [Fact]
    public void ASnapshotOfAnUnknownVersionIsRefusedNamingTheVersion()
    {
        MakeStore();
        SetVersion(BasePath + ".snapshot", SnapshotHeader, "99");
        var refusal = Assert.Throws<InvalidDataException>(Open);
        Assert.Contains("version", refusal.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("99", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASnapshotWithAGarbageHeaderIsRefusedClearly()
    {
        MakeStore();
        var snapshot = BasePath + ".snapshot";
        var records = RecordFile.ReadAll(snapshot, out _, out _);
        records[0] = "garbage, not a header"u8.ToArray();
        using (var stream = new FileStream(snapshot, FileMode.Create, FileAccess.Write))
            foreach (var record in records) RecordFile.Write(stream, record);
        var refusal = Assert.Throws<InvalidDataException>(Open);
        Assert.Contains(Path.GetFileName(snapshot), refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AJournalSegmentOfAnUnknownVersionIsRefusedNamingTheVersion()
    {
        MakeStore();
        var segment = Segments().LastOrDefault(s => new FileInfo(s).Length > 0);
        Assert.True(segment is not null, "no journal segment holds a record");
        SetVersion(segment, SegmentHeader, "99");
        var refusal = Assert.Throws<InvalidDataException>(Open);
        Assert.Contains("version", refusal.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("99", refusal.Message, StringComparison.Ordinal);
    }
}
