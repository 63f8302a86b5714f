using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Tree;

/// <summary>
/// Changes under a <see cref="TreeEdit"/> write the newest arrays in place: they must give the
/// same tree as path copying, leave alone every root kept after a share, and be taken back
/// whole by a restore.
/// </summary>
public sealed class TreeEditTests
{
    private static Node Leaf(string name, string value = "") => Node.Leaf(name, Wire.Encode(value), PermissionList.Dom0Only, 1);

    /// <summary>A directory of <paramref name="children"/> leaves at /d, written under <paramref name="edit"/>.</summary>
    private static Node Directory(int children, TreeEdit? edit)
    {
        var root = NodeTree.Replace(Leaf(""), "/d", Leaf("d"), 1, edit);
        for (var i = 0; i < children; i++) root = NodeTree.Replace(root, $"/d/n{i}", Leaf($"n{i}", "0"), (ulong)i + 2, edit);
        return root;
    }

    /// <summary><see cref="Directory"/>, then moved by the collector to gen2, as a long-lived store's arrays are.</summary>
    private static Node OldDirectory(int children, TreeEdit edit)
    {
        var root = Directory(children, edit);
        GC.Collect();
        GC.Collect();
        return root;
    }

    private static Node Updated(Node root, string path, string value, TreeEdit? edit) =>
        NodeTree.Replace(root, path, NodeTree.Lookup(root, path)!.WithContent(Wire.Encode(value), PermissionList.Dom0Only, 99), 99, edit);

    private static string Dump(Node root) =>
        string.Join("\n", NodeTree.Walk(root, "/").Select(e => $"{e.Path} {NodeText.Of(e.Node)}"));

    [Theory]
    [InlineData(5)]
    [InlineData(2000)]
    public void AChangeToTheNewestArraysIsWrittenInPlaceAndCopiesNothingAbove(int children)
    {
        var edit = new TreeEdit { WritesOldArrays = true };
        var root = Directory(children, edit);
        var same = Updated(root, "/d/n3", "in place", edit);
        Assert.Same(root, same);
        Assert.Equal("in place", Wire.Decode(NodeTree.Lookup(root, "/d/n3")!.Value));
        // Without an edit the same change copies its path, as before.
        Assert.NotSame(root, Updated(root, "/d/n3", "copied", null));
    }

    [Fact]
    public void AnArrayTheCollectorHasPromotedToGen2IsWrittenOnlyWithOldObjects()
    {
        var edit = new TreeEdit();
        var root = OldDirectory(5, edit);
        Assert.Equal(2, GC.GetGeneration(root));
        // A value never seen before is kept on the pinned object heap, old from birth: the
        // leaf goes into the old array in place.
        Assert.Same(root, Updated(root, "/d/n3", $"new {Guid.NewGuid()}", edit));
        // Young permissions would mark a card: the array and the path above it are copied.
        var n4 = NodeTree.Lookup(root, "/d/n4")!;
        var copied = NodeTree.Replace(root, "/d/n4", n4.WithContent(n4.Value, PermissionList.Parse("n1"), 99), 99, edit);
        Assert.NotSame(root, copied);
        Assert.Equal(PermissionList.Dom0Only, NodeTree.Lookup(root, "/d/n4")!.Permissions);
    }

    [Fact]
    public void ANewChildOfAnOldDirectoryCopiesTheOldArrayAboveItOnceAndTheNextOneNothing()
    {
        var edit = new TreeEdit();
        var root = OldDirectory(2000, edit);
        var added = NodeTree.Replace(root, "/d/new", Leaf("new"), 100, edit);
        Assert.NotSame(root, added);
        Assert.Null(NodeTree.Lookup(root, "/d/new"));
        Assert.Same(added, NodeTree.Replace(added, "/d/newer", Leaf("newer"), 101, edit));
    }

    [Fact]
    public void ARootKeptAfterAShareNeverChangesAndTheCopyIsWrittenInPlaceAgain()
    {
        var edit = new TreeEdit { WritesOldArrays = true };
        var kept = Directory(2000, edit);
        var before = Dump(kept);
        edit.Share();
        var copied = Updated(kept, "/d/n3", "after the share", edit);
        copied = NodeTree.Replace(copied, "/d/new", Leaf("new"), 100, edit);
        Assert.NotSame(kept, copied);
        Assert.Equal(before, Dump(kept));
        Assert.Same(copied, Updated(copied, "/d/n3", "again", edit));
    }

    [Fact]
    public void ARestoreTakesBackEveryWriteInPlaceSinceTheLastForget()
    {
        var edit = new TreeEdit { WritesOldArrays = true };
        var root = Directory(2000, edit);
        edit.Forget();
        var before = Dump(root);
        var changed = Updated(root, "/d/n3", "refused", edit);
        changed = NodeTree.Replace(changed, "/d/new", Leaf("new"), 100, edit);
        changed = NodeTree.Replace(changed, "/d/n7", null, 101, edit);
        Assert.NotEqual(before, Dump(changed));
        edit.Restore();
        Assert.Equal(before, Dump(root));
    }

    /// <summary>
    /// Random creations, updates and removals in a large directory, a small one and a deep
    /// path, done with path copying and under an edit side by side; shares keep roots that must
    /// never change, and some runs of changes are restored and must leave no trace. Old arrays
    /// are written too in all but the last run, which copies those the collector has promoted.
    /// </summary>
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void AnEditedTreeIsThePathCopiedTreeWhateverTheChanges(int seed, bool writesOldArrays)
    {
        var random = new Random(seed);
        var edit = new TreeEdit { WritesOldArrays = writesOldArrays };
        var (copied, edited) = (Leaf(""), Leaf(""));
        var kept = new List<(Node Root, string Dump)>();
        var generation = 1ul;
        string RandomPath() => random.Next(3) switch
        {
            0 => $"/big/n{random.Next(3000)}",
            1 => $"/small/n{random.Next(40)}",
            _ => $"/deep/a{random.Next(3)}/b{random.Next(3)}/c{random.Next(50)}",
        };
        void Apply(ref Node root, string path, string? value, ulong stamp, TreeEdit? with)
        {
            var existing = NodeTree.Lookup(root, path);
            if (value is null)
            {
                if (existing is not null) root = NodeTree.Replace(root, path, null, stamp, with);
                return;
            }
            var parentPath = XenStorePath.Parent(path);
            NodeTree.DeepestAncestor(root, path, out var end);
            if (existing is not null)
                root = NodeTree.Replace(root, path, existing.WithContent(Wire.Encode(value), PermissionList.Dom0Only, stamp), stamp, with);
            else if (end == (parentPath == "/" ? 0 : parentPath.Length))
                root = NodeTree.Replace(root, path, Leaf(XenStorePath.Name(path), value), stamp, with);
            else
            {
                var levels = path[(end + 1)..].Count(c => c == '/') + 1;
                var top = NodeTree.Chain(path, end, Wire.Encode(value), PermissionList.Dom0Only, Enumerable.Repeat(stamp, levels).ToArray());
                var topEnd = path.IndexOf('/', end + 1);
                root = NodeTree.Replace(root, topEnd < 0 ? path : path[..topEnd], top, stamp, with);
            }
        }
        for (var step = 0; step < 6000; step++)
        {
            if (random.Next(500) == 0)
            {
                edit.Share();
                kept.Add((edited, Dump(edited)));
            }
            if (random.Next(300) == 0)
            {
                // A change set that is refused: a few changes, then everything back.
                edit.Forget();
                var (before, beforeDump) = (edited, Dump(edited));
                for (var i = random.Next(1, 8); i > 0; i--) Apply(ref edited, RandomPath(), random.Next(4) == 0 ? null : $"r{step}", ++generation, edit);
                edit.Restore();
                edited = before;
                Assert.Equal(beforeDump, Dump(edited));
                continue;
            }
            var path = RandomPath();
            var value = random.Next(6) == 0 ? null : $"v{step}";
            generation++;
            Apply(ref copied, path, value, generation, null);
            Apply(ref edited, path, value, generation, edit);
            if (step % 500 == 0) Assert.Equal(Dump(copied), Dump(edited));
        }
        Assert.Equal(Dump(copied), Dump(edited));
        Assert.NotEmpty(kept);
        foreach (var (root, dump) in kept) Assert.Equal(dump, Dump(root));
    }
}
