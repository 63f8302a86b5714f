using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Persistence;

/// <summary>
/// The replay of journalled node changes on drafts: the store it makes is the one the changes
/// describe (values, permissions, creation order after removals), a node whose parent is
/// missing gets empty parents of its permissions, and the holdings it keeps are those of the
/// nodes it made, counted afresh.
/// </summary>
public sealed class ReplayTreeTests
{
    private static readonly PermissionList Owner3 = PermissionList.Parse("n3 r0");
    private static readonly PermissionList Owner4 = PermissionList.Parse("n4");

    private static JournalOp Put(string path, string value, PermissionList permissions) => JournalOp.Put(path, Wire.Encode(value), permissions);

    /// <summary>The holdings a walk of the tree finds: what the replay's own counts must equal.</summary>
    private static Dictionary<uint, (int Nodes, long Bytes)> Counted(Node root)
    {
        var counted = new Dictionary<uint, (int Nodes, long Bytes)>();
        foreach (var (path, node) in NodeTree.Walk(root, "/"))
        {
            var held = counted.GetValueOrDefault(node.Permissions.Owner);
            counted[node.Permissions.Owner] = (held.Nodes + 1, held.Bytes + MemoryCharge.Node(path, node));
        }
        return counted;
    }

    private static LoadedTree Replay(LoadedTree start, params JournalOp[] ops)
    {
        var tree = new ReplayTree(start);
        foreach (var op in ops) tree.Apply(op);
        var done = tree.Finish();
        Assert.Equal(Counted(done.Root).OrderBy(p => p.Key), done.Holdings.OrderBy(p => p.Key));
        return done;
    }

    private static string Children(LoadedTree tree, string path) =>
        string.Join(",", NodeTree.Lookup(tree.Root, path)!.Children.InOrder().Select(c => c.Name));

    [Fact]
    public void ANodeWhoseParentsAreMissingGetsEmptyParentsOfItsPermissions()
    {
        var tree = Replay(ReplayTree.Empty(), Put("/a/b/c", "v", Owner3));
        foreach (var path in new[] { "/a", "/a/b" })
        {
            var node = NodeTree.Lookup(tree.Root, path)!;
            Assert.Empty(node.Value);
            Assert.Same(Owner3, node.Permissions);
        }
        Assert.Equal("v", Wire.Decode(NodeTree.Lookup(tree.Root, "/a/b/c")!.Value));
        Assert.Equal(3, tree.Holdings[3].Nodes);
    }

    [Fact]
    public void RemovalsReCreationsAndNewOwnersAreCountedAndOrderedAsLiveChangesWould()
    {
        var first = Replay(ReplayTree.Empty(),
            Put("/a", "", Owner3), Put("/a/x", "1", Owner3), Put("/a/y", "2", Owner3), Put("/a/z/deep", "3", Owner3));
        // A second replay over the first's store, as a journal tail over a snapshot.
        var tree = Replay(first,
            JournalOp.Delete("/a/x"), Put("/a/x", "again", Owner4), JournalOp.Delete("/a/z"),
            Put("/a", "changed", Owner4), JournalOp.Delete("/missing/node"), Put("/", "root", PermissionList.Dom0Only));
        Assert.Equal("y,x", Children(tree, "/a"));
        Assert.Equal("changed", Wire.Decode(NodeTree.Lookup(tree.Root, "/a")!.Value));
        Assert.Null(NodeTree.Lookup(tree.Root, "/a/z/deep"));
        Assert.Equal(1, tree.Holdings[3].Nodes);
        Assert.Equal(2, tree.Holdings[4].Nodes);
        // The first store is untouched: its nodes were drafted, not changed.
        Assert.Equal("x,y,z", Children(first, "/a"));
    }

    [Fact]
    public void ALargeDirectoryWithHolesKeepsItsOrder()
    {
        var ops = Enumerable.Range(0, 100).Select(i => Put($"/d/c{i}", "", Owner3)).ToList();
        ops.AddRange(Enumerable.Range(0, 100).Where(i => i % 3 == 0).Select(i => JournalOp.Delete($"/d/c{i}")));
        ops.Add(Put("/d/c0", "back", Owner3));
        var tree = Replay(ReplayTree.Empty(), [.. ops]);
        var expected = Enumerable.Range(0, 100).Where(i => i % 3 != 0).Select(i => $"c{i}").Append("c0");
        Assert.Equal(string.Join(",", expected), Children(tree, "/d"));
    }

    [Theory]
    [InlineData("/a//b")]
    [InlineData("a")]
    [InlineData("/a/")]
    [InlineData("/a b")]
    public void APathNoRequestCouldMakeIsRefused(string path)
    {
        var tree = new ReplayTree(ReplayTree.Empty());
        Assert.Throws<InvalidDataException>(() => tree.Apply(Put(path, "", Owner3)));
        Assert.Throws<InvalidDataException>(() => tree.Apply(JournalOp.Delete(path)));
    }

    [Fact]
    public void TheRootIsNeverRemoved() =>
        Assert.Throws<InvalidDataException>(() => new ReplayTree(ReplayTree.Empty()).Apply(JournalOp.Delete("/")));
}
