using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tree;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>The journal and snapshots: what was acknowledged comes back, damage is found and cut off.</summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewRunDir("persist");

    private string BasePath => Path.Combine(directory, "store");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    private XenStoreDaemon Open(long snapshotAfter = 16 << 20) =>
        new(new DaemonOptions { Persistence = new PersistenceOptions(BasePath) { SnapshotAfterBytes = snapshotAfter } });

    [Fact]
    public void NodesPermissionsTransactionsAndDomainsSurviveARestart()
    {
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/a/b", "1"));
            c.Ok(c.Send(MessageType.Introduce, "5", "1", "1"));
            c.Ok(c.Send(MessageType.SetPerms, "/a/b", "n5", "r6"));
            c.Ok(c.Send(MessageType.SetPerms, "@releaseDomain", "n0", "r5"));
            var tx = uint.Parse(c.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
            c.Ok(c.Write("/t/x", "in-tx", tx));
            c.Ok(c.Write("/t/y", "in-tx", tx));
            c.Ok(c.SendIn(tx, MessageType.TransactionEnd, "T"));
            var aborted = uint.Parse(c.Send(MessageType.TransactionStart, "").Text().TrimEnd('|'));
            c.Ok(c.Write("/never", "x", aborted));
            c.Ok(c.SendIn(aborted, MessageType.TransactionEnd, "F"));
            c.Ok(c.Write("/gone", "x"));
            c.Ok(c.Send(MessageType.Rm, "/gone"));
        }
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("1", c.Send(MessageType.Read, "/a/b").Text());
            Assert.Equal("n5|r6|", c.Send(MessageType.GetPerms, "/a/b").Text());
            Assert.Equal("in-tx", c.Send(MessageType.Read, "/t/y").Text());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/never").ErrorName());
            Assert.Equal("ENOENT", c.Send(MessageType.Read, "/gone").ErrorName());
            Assert.Equal("T|", c.Send(MessageType.IsDomainIntroduced, "5").Text());
            Assert.Equal("n0|r5|", c.Send(MessageType.GetPerms, "@releaseDomain").Text());
            Assert.Equal("Domain-0", c.Send(MessageType.Read, "/local/domain/0/name").Text());
        }
    }

    [Fact]
    public void SnapshotsReplaceOldJournalSegmentsAndRecoverTheSameStore()
    {
        using (var daemon = Open(snapshotAfter: 4096))
        {
            var c = new InProcessClient(daemon);
            for (var i = 0; i < 500; i++) c.Ok(c.Write($"/s/n{i % 50}/v{i}", i.ToString()));
            for (var i = 0; i < 500; i += 3) c.Ok(c.Send(MessageType.Rm, $"/s/n{i % 50}/v{i}"));
            daemon.Journal!.WaitForSnapshot();
            Assert.True(daemon.Journal.SnapshotsTaken > 0);
        }
        Assert.True(File.Exists(BasePath + ".snapshot"));
        Assert.True(Directory.GetFiles(directory, "store.journal.*").Length <= 2);
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            for (var i = 0; i < 500; i++)
            {
                var reply = c.Send(MessageType.Read, $"/s/n{i % 50}/v{i}");
                if (i % 3 == 0) Assert.Equal("ENOENT", reply.ErrorName());
                else Assert.Equal(i.ToString(), reply.Text());
            }
        }
    }

    [Theory]
    [InlineData("torn")]
    [InlineData("corrupt")]
    public void ADamagedJournalTailIsReportedAndCutToTheLastWholeRecord(string damage)
    {
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/kept", "yes"));
            c.Ok(c.Write("/last", "whole"));
        }
        var segment = Directory.GetFiles(directory, "store.journal.*").Order().Last();
        var intact = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            if (damage == "torn")
            {
                file.Seek(0, SeekOrigin.End);
                file.Write([200, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
            }
            else
            {
                // Flip a byte inside the last record: its CRC no longer matches.
                file.Seek(-3, SeekOrigin.End);
                file.WriteByte(0x5A);
            }
        }
        using (var daemon = Open())
        {
            Assert.Contains(daemon.RecoveryReport, line => line.Contains("truncated", StringComparison.Ordinal));
            var c = new InProcessClient(daemon);
            Assert.Equal("yes", c.Send(MessageType.Read, "/kept").Text());
            if (damage == "torn") Assert.Equal("whole", c.Send(MessageType.Read, "/last").Text());
            else Assert.Equal("ENOENT", c.Send(MessageType.Read, "/last").ErrorName());
            c.Ok(c.Write("/after", "restart"));
        }
        if (damage == "torn") Assert.True(new FileInfo(segment).Length >= intact);
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Assert.Equal("restart", c.Send(MessageType.Read, "/after").Text());
            Assert.DoesNotContain(daemon.RecoveryReport, line => line.Contains("truncated", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Found by fuzzing the journal: a record whose CRC matches but whose entries this daemon
    /// could not have written (cut short, unparsable permissions, a path no request could
    /// make) stops recovery with a clear refusal, instead of a stray exception or a node no
    /// client could ever reach.
    /// </summary>
    [Theory]
    [InlineData("cut short")]
    [InlineData("bad permissions")]
    [InlineData("impossible path")]
    public void AWholeRecordThatCannotBeReplayedIsRefusedClearly(string flaw)
    {
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            c.Ok(c.Write("/before", "kept"));
        }
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(flaw == "cut short" ? 2 : 1);
            JournalOp.Put(flaw == "impossible path" ? "/a//b" : "/fine", "v"u8.ToArray(), PermissionList.Dom0Only).WriteTo(w);
        }
        var bytes = body.ToArray();
        if (flaw == "bad permissions")
        {
            // The permission list is the entry's last string: "n0" becomes "x0".
            bytes[^2] = (byte)'x';
        }
        var segment = Directory.GetFiles(directory, "store.journal.*").Order().Last();
        using (var file = new FileStream(segment, FileMode.Append))
            RecordFile.Write(file, bytes);

        var refusal = Assert.Throws<InvalidDataException>(() => Open());
        Assert.Contains("cannot be replayed", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(segment), refusal.Message, StringComparison.Ordinal);
    }
}
