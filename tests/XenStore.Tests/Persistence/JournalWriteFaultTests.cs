using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// A journal append that fails (EIO from a failing disk, ENOSPC from a full one): the change
/// it carried is refused with that error and not applied, reads go on, and once the disk
/// works again the daemon accepts changes without a restart. Nothing refused comes back after
/// a restart, everything acknowledged does; a half-written record never hides later ones.
/// </summary>
public sealed class JournalWriteFaultTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewRunDir("jfault");

    private string BasePath => Path.Combine(directory, "store");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private XenStoreDaemon Open(JournalFiles? files = null) =>
        new(new DaemonOptions { Persistence = new PersistenceOptions(BasePath) { Files = files ?? new JournalFiles() } });

    /// <summary>The reply is the error the disk gave (and says what it was instead, when not).</summary>
    internal static void Refused(string error, Message reply, string what) =>
        Assert.True(reply.ErrorName() == error, $"{what} while the disk fails: expected {error}, got {reply}");

    [Theory]
    [InlineData(5, "EIO")]
    [InlineData(28, "ENOSPC")]
    public void EveryKindOfChangeIsRefusedWithTheDiskErrorAndNotApplied(int errno, string error)
    {
        var disk = new FaultyJournalFiles();
        Func<IOException> fault = errno == 28 ? FaultyJournalFiles.Enospc : FaultyJournalFiles.Eio;
        using (var daemon = Open(disk))
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/kept", "old"));
            c.Ok(c.Send(MessageType.Introduce, "5", "1", "1"));
            // Opened and filled before the fault: only its commit meets the failing disk.
            var tx = uint.Parse(c.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
            c.Ok(c.Write("/tx/a", "in-tx", tx));
            c.Ok(c.Write("/tx/b", "in-tx", tx));

            disk.FailAppends(fault);
            Refused(error, c.Write("/kept", "refused"), "WRITE of an existing node");
            Refused(error, c.Write("/fresh", "refused"), "WRITE of a new node");
            Refused(error, c.SendIn(tx, MessageType.TransactionEnd, "T"), "TRANSACTION_END commit");
            Refused(error, c.Send(MessageType.Introduce, "7", "1", "1"), "INTRODUCE");
            Refused(error, c.Send(MessageType.SetPerms, "/kept", "n5", "r0"), "SET_PERMS");
            Assert.True(disk.AppendFailures > 0, "the journal never appended through PersistenceOptions.Files");

            // Reads go on, and show none of the refused changes.
            Assert.Equal("old", c.Send(MessageType.Read, "/kept").Text());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/fresh").ErrorName());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/tx/a").ErrorName());
            Assert.Equal("F|", c.Send(MessageType.IsDomainIntroduced, "7").Text());
            Assert.Equal("n0|", c.Send(MessageType.GetPerms, "/kept").Text());

            // The disk works again: so does the daemon, without a restart.
            disk.FailAppends(null);
            c.Ok(c.Write("/after", "accepted"));
            c.Ok(c.Send(MessageType.SetPerms, "/after", "n5", "r0"));
        }
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("old", c.Send(MessageType.Read, "/kept").Text());
            Assert.Equal("n0|", c.Send(MessageType.GetPerms, "/kept").Text());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/fresh").ErrorName());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/tx/a").ErrorName());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/tx/b").ErrorName());
            Assert.Equal("T|", c.Send(MessageType.IsDomainIntroduced, "5").Text());
            Assert.Equal("F|", c.Send(MessageType.IsDomainIntroduced, "7").Text());
            Assert.Equal("accepted", c.Send(MessageType.Read, "/after").Text());
            Assert.Equal("n5|r0|", c.Send(MessageType.GetPerms, "/after").Text());
        }
    }

    /// <summary>
    /// Half a record reaches the file before the error. Left there, it would be the torn
    /// tail recovery cuts off, and every record appended after it would be cut off with it.
    /// </summary>
    [Fact]
    public void AHalfWrittenRecordDoesNotHideTheRecordsAcknowledgedAfterIt()
    {
        var disk = new FaultyJournalFiles();
        using (var daemon = Open(disk))
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/before", "1"));
            disk.FailAppends(FaultyJournalFiles.Eio, partial: true);
            Refused("EIO", c.Write("/torn", "x".PadRight(300, 'x')), "WRITE whose record was half written");
            Assert.True(disk.AppendFailures > 0, "the journal never appended through PersistenceOptions.Files");
            disk.FailAppends(null);
            for (var i = 0; i < 20; i++) c.Ok(c.Write($"/after/n{i}", $"v{i}"));
        }
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("1", c.Send(MessageType.Read, "/before").Text());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/torn").ErrorName());
            for (var i = 0; i < 20; i++) Assert.Equal($"v{i}", c.Send(MessageType.Read, $"/after/n{i}").Text());
        }
    }
}
