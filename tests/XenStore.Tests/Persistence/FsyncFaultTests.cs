using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// A failed fsync(2): after it, what the file holds is unknown (Linux may drop the dirty
/// pages and clear the error), so retrying it proves nothing. A change is acknowledged only
/// once something known good holds it (a fresh snapshot); while fsync fails no change is
/// acknowledged, reads go on, and the daemon heals by itself once the disk works.
/// </summary>
public sealed class FsyncFaultTests : IDisposable
{
    private static readonly TimeSpan HealTimeout = TimeSpan.FromSeconds(5);

    private readonly string directory = TestEnvironment.NewRunDir("fsync");

    private string BasePath => Path.Combine(directory, "store");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private XenStoreDaemon Open(JournalFiles files, FsyncPolicy policy, TimeSpan? interval = null) =>
        new(new DaemonOptions
        {
            Persistence = new PersistenceOptions(BasePath)
            {
                Files = files,
                Fsync = policy,
                FsyncInterval = interval ?? TimeSpan.FromSeconds(1),
            },
        });

    private XenStoreDaemon Reopen() => new(new DaemonOptions { Persistence = new PersistenceOptions(BasePath) });

    /// <summary>A reply that acknowledges nothing: EIO, or none at all (no reply, closed connection).</summary>
    private static void NotAcknowledged(Message? reply, string what) =>
        Assert.True(reply is null || reply.ErrorName() == "EIO", $"{what} while fsync fails: expected EIO or no reply, got {reply}");

    /// <summary>
    /// Writes until the daemon accepts (it may need a moment to heal), on a new connection
    /// whenever it closed the last one; fails when it does not accept within the timeout.
    /// </summary>
    private static void WriteEventually(XenStoreDaemon daemon, string path, string value)
    {
        var deadline = DateTime.UtcNow + HealTimeout;
        var client = new InProcessClient(daemon);
        Message? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (client.IsClosed) client = new InProcessClient(daemon);
            last = client.TryWrite(path, value, TimeSpan.FromSeconds(1));
            if (last is { Type: not MessageType.Error }) return;
            NotAcknowledged(last, "a WRITE refused while healing");
            Thread.Sleep(50);
        }
        Assert.Fail($"the disk works again, but WRITE was not accepted within {HealTimeout.TotalSeconds} s without a restart (last reply: {last?.ToString() ?? "none"})");
    }

    [Fact]
    public void AWriteWhoseFsyncFailedIsAcknowledgedOnlyOnceASnapshotHoldsIt()
    {
        var disk = new FaultyJournalFiles();
        bool acknowledged;
        using (var daemon = Open(disk, FsyncPolicy.Always))
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/before", "1"));
            disk.FailSyncs(FaultyJournalFiles.Eio, times: 1);
            var reply = c.TryWrite("/during", "2", TimeSpan.FromSeconds(5));
            Assert.True(disk.SyncFailures == 1, "the journal never fsynced through PersistenceOptions.Files");
            acknowledged = reply is { Type: not MessageType.Error };
            if (acknowledged)
                Assert.True(disk.SnapshotsPutAfter(disk.LastSyncFailure) > 0,
                    $"WRITE answered {reply} after its fsync failed, with no snapshot put in place since the failure");
            else
                NotAcknowledged(reply, "the WRITE whose fsync failed");
            WriteEventually(daemon, "/later", "3");
        }
        using (var daemon = Reopen())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("1", c.Send(MessageType.Read, "/before").Text());
            if (acknowledged) Assert.Equal("2", c.Send(MessageType.Read, "/during").Text());
            Assert.Equal("3", c.Send(MessageType.Read, "/later").Text());
        }
    }

    [Fact]
    public void WhileFsyncFailsNoWriteIsAcknowledgedAndReadsGoOn()
    {
        var disk = new FaultyJournalFiles();
        using (var daemon = Open(disk, FsyncPolicy.Always))
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/before", "1"));
            disk.FailSyncs(FaultyJournalFiles.Eio);
            for (var i = 0; i < 3; i++)
            {
                if (c.IsClosed) c = new InProcessClient(daemon);
                NotAcknowledged(c.TryWrite($"/refused/n{i}", "x", TimeSpan.FromSeconds(1)), $"WRITE {i}");
            }
            Assert.True(disk.SyncFailures > 0, "the journal never fsynced through PersistenceOptions.Files");
            var reader = new InProcessClient(daemon);
            Assert.Equal("1", reader.Send(MessageType.Read, "/before").Text());

            disk.FailSyncs(null);
            WriteEventually(daemon, "/healed", "yes");
            var after = new InProcessClient(daemon);
            for (var i = 0; i < 10; i++) after.Ok(after.Write($"/after/n{i}", $"v{i}"));
        }
        using (var daemon = Reopen())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("1", c.Send(MessageType.Read, "/before").Text());
            Assert.Equal("yes", c.Send(MessageType.Read, "/healed").Text());
            for (var i = 0; i < 10; i++) Assert.Equal($"v{i}", c.Send(MessageType.Read, $"/after/n{i}").Text());
        }
    }

    /// <summary>
    /// With fsync on a timer the failure surfaces on no request: the writes after it must be
    /// refused (what they would build on may be lost) until a snapshot, written once the disk
    /// works, holds the store again. An exception thrown from the timer would end the process
    /// (the test host with it), so the daemon answering afterwards also shows it did not throw.
    /// </summary>
    [Fact]
    public void AFailedPeriodicFsyncRefusesWritesUntilASnapshotHeals()
    {
        var disk = new FaultyJournalFiles();
        Message unsynced;
        using (var daemon = Open(disk, FsyncPolicy.Interval, TimeSpan.FromMilliseconds(50)))
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/before", "1"));
            disk.FailSyncs(FaultyJournalFiles.Eio);
            // Something for the timer to fsync: acknowledged at once, unless a tick already failed.
            unsynced = c.Write("/unsynced", "2");
            if (unsynced.Type == MessageType.Error) NotAcknowledged(unsynced, "a WRITE just after fsync began to fail");
            // Until the journal has caught the failed fsync (just after the disk threw it), a
            // WRITE is in the same state as one made before the failure.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while ((disk.SyncFailures == 0 || !daemon.Journal!.MustSnapshot) && DateTime.UtcNow < deadline) Thread.Sleep(10);
            Assert.True(disk.SyncFailures > 0, "the periodic fsync never ran through PersistenceOptions.Files");

            var refused = c.TryWrite("/refused", "x", TimeSpan.FromSeconds(2));
            Assert.True(refused?.ErrorName() == "EIO", $"WRITE after a failed periodic fsync: expected EIO, got {refused?.ToString() ?? "no reply"}");
            if (c.IsClosed) c = new InProcessClient(daemon);
            Assert.Equal("1", c.Send(MessageType.Read, "/before").Text());

            var healed = disk.Now;
            disk.FailSyncs(null);
            WriteEventually(daemon, "/healed", "yes");
            Assert.True(disk.SnapshotsPutAfter(healed) > 0, "writes were accepted again without a snapshot written since the disk healed");
            var after = new InProcessClient(daemon);
            Assert.Equal("yes", after.Send(MessageType.Read, "/healed").Text());
            Thread.Sleep(200); // a few more timer fsyncs, now working
            after.Ok(after.Write("/last", "3"));
        }
        using (var daemon = Reopen())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("1", c.Send(MessageType.Read, "/before").Text());
            if (unsynced.Type != MessageType.Error) Assert.Equal("2", c.Send(MessageType.Read, "/unsynced").Text());
            Assert.Equal("yes", c.Send(MessageType.Read, "/healed").Text());
            Assert.Equal("3", c.Send(MessageType.Read, "/last").Text());
        }
    }
}
