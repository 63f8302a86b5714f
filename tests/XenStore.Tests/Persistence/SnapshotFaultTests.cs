using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// A snapshot that cannot be written is no reason to refuse anything: the journal still
/// holds every change. The daemon goes on serving, tries the snapshot again later, and once
/// one is in place the journal segments it covers go.
/// </summary>
public sealed class SnapshotFaultTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewRunDir("snapfault");

    private string BasePath => Path.Combine(directory, "store");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private string[] Segments() => Directory.GetFiles(directory, "store.journal.*").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void AFailedSnapshotIsRetriedOnceTheDiskWorksAndTheJournalServesMeanwhile()
    {
        var disk = new FaultyJournalFiles();
        var acknowledged = new Dictionary<string, string>();
        var next = 0;
        void WriteSome(InProcessClient c, int count)
        {
            for (var end = next + count; next < end; next++)
            {
                var (path, value) = ($"/s/n{next % 30}/v{next}", $"value-{next}".PadRight(60, '.'));
                c.Ok(c.Write(path, value));
                acknowledged[path] = value;
            }
        }

        disk.FailCreates(FaultyJournalFiles.Eio);
        using (var daemon = new XenStoreDaemon(new DaemonOptions
        {
            Persistence = new PersistenceOptions(BasePath) { SnapshotAfterBytes = 4096, Files = disk },
        }))
        {
            var c = new InProcessClient(daemon);
            // About 30 KB of journal: several snapshots due, none can be written (they are
            // written in the background: wait for one to have tried).
            WriteSome(c, 300);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (disk.CreateFailures == 0 && DateTime.UtcNow < deadline)
            {
                WriteSome(c, 5);
                Thread.Sleep(5);
            }
            Assert.True(disk.CreateFailures > 0, "no snapshot was attempted through PersistenceOptions.Files.Create (its temporary file)");
            Assert.False(File.Exists(BasePath + ".snapshot"), "a snapshot was put in place while its file could not be created");
            foreach (var (path, value) in acknowledged) Assert.Equal(value, c.Send(MessageType.Read, path).Text());

            var oldest = Segments().First();
            var healed = disk.Now;
            disk.FailCreates(null);
            // The retry may wait for the next change or a moment: keep writing, a little.
            deadline = DateTime.UtcNow.AddSeconds(10);
            while (disk.SnapshotsPutAfter(healed) == 0 && DateTime.UtcNow < deadline)
            {
                WriteSome(c, 5);
                Thread.Sleep(5);
            }
            Assert.True(disk.SnapshotsPutAfter(healed) > 0, "no snapshot was put in place after the disk healed");
            deadline = DateTime.UtcNow.AddSeconds(5);
            while (File.Exists(oldest) && DateTime.UtcNow < deadline) Thread.Sleep(10);
            Assert.False(File.Exists(oldest), $"{Path.GetFileName(oldest)} is still there after a snapshot that covers it");
        }
        Assert.True(File.Exists(BasePath + ".snapshot"));
        using (var daemon = new XenStoreDaemon(new DaemonOptions { Persistence = new PersistenceOptions(BasePath) }))
        {
            var c = new InProcessClient(daemon);
            foreach (var (path, value) in acknowledged) Assert.Equal(value, c.Send(MessageType.Read, path).Text());
        }
    }
}
