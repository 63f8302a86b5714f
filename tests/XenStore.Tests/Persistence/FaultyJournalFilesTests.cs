using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// The failing disk the fault tests use fails as a real one would, so that when those tests
/// fail it is the daemon's doing, not the injector's.
/// </summary>
public sealed class FaultyJournalFilesTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewRunDir("faulty");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void FailuresLookLikeTheOperatingSystemsAndAHalfWriteLeavesItsBytes()
    {
        var disk = new FaultyJournalFiles();
        var path = Path.Combine(directory, "segment");
        using (var file = disk.OpenForAppend(path))
        {
            file.Append(new byte[10]);
            disk.FailAppends(FaultyJournalFiles.Enospc, partial: true);
            var full = Assert.Throws<IOException>(() => file.Append(new byte[100]));
            Assert.Equal(28, full.HResult);
            // As JournalFile promises: the length stays, the partial bytes are there to cut off.
            Assert.Equal(10, file.Length);
            Assert.Equal(60, new FileInfo(path).Length);
            file.Truncate(file.Length);
            Assert.Equal(10, new FileInfo(path).Length);
            disk.FailAppends(null);
            file.Append(new byte[5]);
            Assert.Equal(15, new FileInfo(path).Length);

            disk.FailSyncs(FaultyJournalFiles.Eio, times: 1);
            Assert.Equal(5, Assert.Throws<IOException>(file.Sync).HResult);
            file.Sync();
            Assert.Equal(1, disk.SyncFailures);
            Assert.Equal(1, disk.AppendFailures);
        }

        disk.FailCreates(FaultyJournalFiles.Eio);
        Assert.Throws<IOException>(() => disk.Create(path + ".tmp"));
        Assert.False(File.Exists(path + ".tmp"));
        disk.FailCreates(null);
        var before = disk.Now;
        using (var tmp = disk.Create(path + ".tmp")) tmp.Append(new byte[3]);
        disk.Replace(path + ".tmp", path + ".snapshot");
        Assert.Equal(1, disk.SnapshotsPutAfter(before));
        Assert.Equal(0, disk.SnapshotsPutAfter(disk.Now));
    }
}
