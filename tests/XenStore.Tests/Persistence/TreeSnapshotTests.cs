using System.Text;
using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;
using XenStore.Tree;

namespace XenStore.Tests.Persistence;

/// <summary>
/// The tree-format snapshot (version 2) and the replay of the journal onto it: a restart
/// brings back every node with its value, permissions and place among its siblings, the
/// owners' holdings, the domains and the special permissions exactly as the daemon had them,
/// whether from the snapshot alone, the snapshot and a journal tail, or an older snapshot of
/// format 1; a snapshot that is torn, corrupt or not a valid tree is refused by name.
/// </summary>
public sealed class TreeSnapshotTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewRunDir("tree-snapshot");

    private string BasePath => Path.Combine(directory, "store");

    private string SnapshotPath => BasePath + ".snapshot";

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>A daemon on the store; a huge snapshot threshold means no snapshot unless a test asks for one.</summary>
    private XenStoreDaemon Open(long snapshotAfter = 1L << 40) =>
        new(new DaemonOptions { Persistence = new PersistenceOptions(BasePath) { SnapshotAfterBytes = snapshotAfter } });

    /// <summary>Everything a restart must bring back, as text to compare: nodes (depth first, children in order), holdings, domains.</summary>
    private static List<string> Dump(XenStoreDaemon daemon)
    {
        lock (daemon.Sync)
        {
            var lines = NodeTree.Walk(daemon.Live.Root, "/")
                .Select(p => $"{p.Path} = {Convert.ToHexString(p.Node.Value)} ({p.Node.Permissions}) [{string.Join(",", p.Node.Children.InOrder().Select(c => c.Name))}]")
                .ToList();
            foreach (var owner in daemon.Live.Owners.Order())
                lines.Add($"owner {owner}: {daemon.Live.NodesOwnedBy(owner)} nodes, {daemon.Live.BytesOwnedBy(owner)} bytes");
            lines.AddRange(daemon.Domains.PersistentState().Select(op => $"{op.Kind} {op.Path} {op.Permissions} {op.DomainId} {op.Frame} {op.Port}"));
            return lines;
        }
    }

    private static Message WriteBytes(InProcessClient c, string path, byte[] value) =>
        c.SendRaw(new Message(MessageType.Write, 0, 0, [.. Payloads.Strings(path), .. value]));

    /// <summary>Odd names, values and permissions, a large directory with holes, a deep chain, domains and special permissions.</summary>
    private static void Populate(InProcessClient c)
    {
        c.Ok(c.Write("/odd/empty", ""));
        c.Ok(WriteBytes(c, "/odd/nul", [0, 1, 0, 0, 255, 0]));
        c.Ok(WriteBytes(c, "/odd/all-bytes", Enumerable.Range(0, 4096).Select(i => (byte)(i * 31)).ToArray()));
        c.Ok(c.Write("/odd/utf8", "grüße, 世界"));
        c.Ok(c.Write("/odd/a-b_c@d/0/UPPER", "names"));
        c.Ok(c.Write("/odd/" + new string('x', 200), "long name"));
        c.Ok(c.Send(MessageType.Introduce, "5", "11", "12"));
        c.Ok(c.Send(MessageType.Introduce, "6", "13", "14"));
        c.Ok(c.Send(MessageType.SetTarget, "6", "5"));
        c.Ok(c.Send(MessageType.Mkdir, "/local/domain/5/owned"));
        c.Ok(c.Send(MessageType.SetPerms, "/local/domain/5/owned", "n5", "r6", "w7", "b8"));
        c.Ok(c.Write("/local/domain/5/owned/inherits", "owner 5 by inheritance"));
        c.Ok(c.Send(MessageType.SetPerms, "/odd/empty", "r6"));
        c.Ok(c.Send(MessageType.SetPerms, "@releaseDomain", "n0", "r5"));
        c.Ok(c.Send(MessageType.SetPerms, "@introduceDomain", "n0", "r6"));
        for (var i = 0; i < 100; i++) c.Ok(c.Write($"/big/c{i}", $"v{i}"));
        for (var i = 0; i < 100; i += 3) c.Ok(c.Send(MessageType.Rm, $"/big/c{i}"));
        for (var i = 0; i < 100; i += 9) c.Ok(c.Write($"/big/c{i}", "back, now last"));
        c.Ok(c.Write("/deep/" + string.Join("/", Enumerable.Range(0, 150).Select(i => $"l{i}")), "bottom"));
    }

    /// <summary>Changes after a snapshot, over what it holds: removals, re-creations, new owners, new nodes below old ones.</summary>
    private static void ChangeMore(InProcessClient c)
    {
        c.Ok(c.Send(MessageType.Rm, "/odd/a-b_c@d"));
        c.Ok(c.Write("/odd/a-b_c@d", "re-created, now last of /odd"));
        c.Ok(c.Send(MessageType.Rm, "/big/c1"));
        c.Ok(c.Write("/big/c2", "changed in place"));
        c.Ok(c.Send(MessageType.SetPerms, "/big/c4", "n6", "r0"));
        c.Ok(c.Write("/big/c5/below", "new below an old node"));
        c.Ok(c.Write("/new/x", ""));
        c.Ok(c.Send(MessageType.Rm, "/deep/l0/l1/l2"));
        c.Ok(c.Write("/", "the root's value"));
        c.Ok(c.Send(MessageType.Release, "6"));
        c.Ok(c.Send(MessageType.SetPerms, "@releaseDomain", "n0", "r5", "r9"));
    }

    private void TakeSnapshot(XenStoreDaemon daemon)
    {
        lock (daemon.Sync) daemon.Journal!.BeginSnapshot(daemon.Live.Root, daemon.Domains.PersistentState());
        daemon.Journal!.WaitForSnapshot();
        Assert.Equal(PersistenceFormat.SnapshotVersion, PersistenceFormat.ReadSnapshotHeader(SnapshotPath, RecordFile.ReadAll(SnapshotPath, out _, out _)[0]).Version);
    }

    private static int JournalRecords(XenStoreDaemon daemon) =>
        daemon.RecoveryReport.Where(l => l.StartsWith("journal segment", StringComparison.Ordinal))
            .Sum(l => int.Parse(l.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void TheSnapshotAloneBringsBackTheWholeStore()
    {
        List<string> before;
        using (var daemon = Open())
        {
            Populate(new InProcessClient(daemon));
            TakeSnapshot(daemon);
            before = Dump(daemon);
        }
        using (var restarted = Open())
        {
            Assert.Equal(0, JournalRecords(restarted));
            Assert.Equal(before, Dump(restarted));
            var c = new InProcessClient(restarted);
            Assert.Equal("n5|r6|w7|b8|", c.Send(MessageType.GetPerms, "/local/domain/5/owned/inherits").Text());
            Assert.Equal([0, 1, 0, 0, 255, 0], c.Send(MessageType.Read, "/odd/nul").Payload);
            Assert.Equal("T|", c.Send(MessageType.IsDomainIntroduced, "6").Text());
            // The store goes on as usual after a load: a change, then another restart.
            c.Ok(c.Write("/after/load", "1"));
            c.Ok(c.Send(MessageType.Rm, "/big"));
            before = Dump(restarted);
        }
        using var again = Open();
        Assert.Equal(before, Dump(again));
    }

    [Fact]
    public void TheSnapshotAndTheJournalAfterItBringBackTheStoreAsItWas()
    {
        List<string> before;
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Populate(c);
            TakeSnapshot(daemon);
            ChangeMore(c);
            before = Dump(daemon);
        }
        using var restarted = Open();
        Assert.True(JournalRecords(restarted) > 0, "the changes after the snapshot should have come from the journal");
        Assert.Equal(before, Dump(restarted));
    }

    [Fact]
    public void TheJournalAloneBringsBackTheStoreAsItWas()
    {
        List<string> before;
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Populate(c);
            ChangeMore(c);
            before = Dump(daemon);
        }
        Assert.False(File.Exists(SnapshotPath));
        using var restarted = Open();
        Assert.Equal(before, Dump(restarted));
    }

    [Fact]
    public void AStopWithALongJournalLeavesASnapshotOfTheWholeStore()
    {
        List<string> before;
        using (var daemon = Open(snapshotAfter: 256 << 10))
        {
            Populate(new InProcessClient(daemon));
            before = Dump(daemon);
            Assert.False(File.Exists(SnapshotPath), "no snapshot should be taken before the stop");
        }
        Assert.True(File.Exists(SnapshotPath), "a clean stop after a long journal should snapshot the store");
        using var restarted = Open();
        Assert.Equal(0, JournalRecords(restarted));
        Assert.Equal(before, Dump(restarted));
    }

    /// <summary>A daemon upgraded in place finds the snapshot its predecessor wrote: format 1, every node a journal PUT.</summary>
    [Fact]
    public void AFormatOneSnapshotStillLoads()
    {
        List<string> before;
        using (var daemon = Open())
        {
            var c = new InProcessClient(daemon);
            Populate(c);
            ChangeMore(c);
            before = Dump(daemon);
            lock (daemon.Sync) WriteFormatOneSnapshot(daemon.Live.Root, daemon.Domains.PersistentState());
        }
        foreach (var segment in Directory.GetFiles(directory, "store.journal.*")) File.Delete(segment);
        using var restarted = Open();
        Assert.Contains(restarted.RecoveryReport, l => l.StartsWith("snapshot (format 1)", StringComparison.Ordinal));
        Assert.Equal(before, Dump(restarted));
    }

    /// <summary>What a format 1 daemon wrote: the header, batches of PUTs of every node (parents first) and the state, "end".</summary>
    private void WriteFormatOneSnapshot(Node root, IReadOnlyList<JournalOp> state)
    {
        using var stream = new FileStream(SnapshotPath, FileMode.Create, FileAccess.Write);
        RecordFile.Write(stream, PersistenceFormat.SnapshotHeader(0, version: 1));
        var scratch = new MemoryStream();
        foreach (var batch in NodeTree.Walk(root, "/").Select(p => JournalOp.Put(p.Path, p.Node.Value, p.Node.Permissions)).Chunk(64))
            stream.Write(Journal.Encode(batch, scratch));
        stream.Write(Journal.Encode(state, scratch));
        RecordFile.Write(stream, "end"u8);
    }

    private void MakeSnapshot()
    {
        using var daemon = Open();
        Populate(new InProcessClient(daemon));
        TakeSnapshot(daemon);
    }

    [Fact]
    public void ACorruptSnapshotIsRefusedByName()
    {
        MakeSnapshot();
        var bytes = File.ReadAllBytes(SnapshotPath);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(SnapshotPath, bytes);
        var refusal = Assert.Throws<InvalidDataException>(() => Open());
        Assert.Contains(SnapshotPath, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("CRC", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATornSnapshotIsRefusedByName()
    {
        MakeSnapshot();
        var bytes = File.ReadAllBytes(SnapshotPath);
        File.WriteAllBytes(SnapshotPath, bytes[..(bytes.Length * 2 / 3)]);
        var refusal = Assert.Throws<InvalidDataException>(() => Open());
        Assert.Contains(SnapshotPath, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("torn", refusal.Message, StringComparison.Ordinal);
    }

    /// <summary>One node entry of the tree format: name, value, permission list index, number of children.</summary>
    private static void Entry(BinaryWriter w, string name, int children, string value = "", int permissions = 0)
    {
        w.Write(name);
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write7BitEncodedInt(bytes.Length);
        w.Write(bytes);
        w.Write7BitEncodedInt(permissions);
        w.Write7BitEncodedInt(children);
    }

    /// <summary>A snapshot whose records are all whole (CRCs match) around the given node entries.</summary>
    private void WriteTreeSnapshot(Action<BinaryWriter> nodes, params string[] permissionLists)
    {
        var table = new MemoryStream();
        using (var w = new BinaryWriter(table, Encoding.UTF8, leaveOpen: true))
        {
            w.Write7BitEncodedInt(permissionLists.Length);
            foreach (var p in permissionLists) w.Write(p);
        }
        var chunk = new MemoryStream();
        using (var w = new BinaryWriter(chunk, Encoding.UTF8, leaveOpen: true)) nodes(w);
        using var stream = new FileStream(SnapshotPath, FileMode.Create, FileAccess.Write);
        RecordFile.Write(stream, PersistenceFormat.SnapshotHeader(0));
        RecordFile.Write(stream, table.ToArray());
        RecordFile.Write(stream, chunk.ToArray());
        stream.Write(Journal.Encode([], new MemoryStream()));
        RecordFile.Write(stream, "end"u8);
    }

    [Fact]
    public void AHandWrittenTreeSnapshotLoads()
    {
        WriteTreeSnapshot(w =>
        {
            Entry(w, "", 2);
            Entry(w, "tool", 1);
            Entry(w, "xenstored", 0);
            Entry(w, "guest", 0, "hello", permissions: 1);
        }, "n0", "n7 r0");
        using var daemon = Open();
        var c = new InProcessClient(daemon);
        Assert.Equal("hello", c.Send(MessageType.Read, "/guest").Text());
        Assert.Equal("n7|r0|", c.Send(MessageType.GetPerms, "/guest").Text());
        Assert.Equal("tool|guest|", c.Send(MessageType.Directory, "/").Text());
        Assert.Equal(1, daemon.Live.NodesOwnedBy(7));
        Assert.Equal(3, daemon.Live.NodesOwnedBy(0));
    }

    public static TheoryData<string, Action<BinaryWriter>> InvalidTrees => new()
    {
        { "a name with a slash", w => { Entry(w, "", 1); Entry(w, "a/b", 0); } },
        { "an invalid character", w => { Entry(w, "", 1); Entry(w, "a b", 0); } },
        { "an empty name", w => { Entry(w, "", 1); Entry(w, "", 0); } },
        { "a named root", w => Entry(w, "root", 0) },
        { "two siblings of one name", w => { Entry(w, "", 2); Entry(w, "twin", 0); Entry(w, "twin", 0); } },
        { "two siblings of one name in a large directory", w => { Entry(w, "", 40); for (var i = 0; i < 40; i++) Entry(w, i == 39 ? "c0" : $"c{i}", 0); } },
        { "a permission list out of range", w => { Entry(w, "", 1); Entry(w, "a", 0, permissions: 5); } },
        { "fewer children than counted", w => { Entry(w, "", 3); Entry(w, "a", 0); } },
        { "a node after the tree's end", w => { Entry(w, "", 1); Entry(w, "a", 0); Entry(w, "b", 0); } },
    };

    [Theory]
    [MemberData(nameof(InvalidTrees))]
    public void AWholeSnapshotThatIsNotAValidTreeIsRefusedByName(string what, Action<BinaryWriter> nodes)
    {
        WriteTreeSnapshot(nodes, "n0");
        var refusal = Assert.Throws<InvalidDataException>(() => Open());
        Assert.True(refusal.Message.Contains(SnapshotPath, StringComparison.Ordinal), $"{what}: {refusal.Message}");
    }
}
