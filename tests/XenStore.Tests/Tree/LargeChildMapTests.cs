using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Tree;

/// <summary>
/// The large-directory map against a plain ordered list, over random adds, replacements and
/// removals; with the full hash, and with hashes cut to a few bits so that names collide and
/// the table's probes run long. Versions kept along the way must stay as they were, whoever
/// goes on changing the map after them.
/// </summary>
public sealed class LargeChildMapTests
{
    private static Node Leaf(string name, int step = 0) => Node.Leaf(name, Wire.Encode(step.ToString()), PermissionList.Dom0Only, (ulong)step + 1);

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(-1, 2)]
    [InlineData(0xFF, 3)]
    [InlineData(0x3, 4)]
    [InlineData(0, 5)]
    public void BehavesAsAnOrderedListUnderRandomChanges(int hashMask, int seed)
    {
        var random = new Random(seed);
        var reference = new List<Node>();
        ChildMap map = LargeChildMap.Build([], hashMask);
        var kept = new List<(ChildMap Map, List<string?> Children)>();
        for (var step = 0; step < 4000; step++)
        {
            var name = "n" + random.Next(600);
            var at = reference.FindIndex(n => n.Name == name);
            if (random.Next(3) == 0)
            {
                map = map.Remove(name);
                if (at >= 0) reference.RemoveAt(at);
            }
            else
            {
                var node = Leaf(name, step);
                map = map.Set(node);
                if (at >= 0) reference[at] = node;
                else reference.Add(node);
            }
            if (step % 97 == 0)
            {
                Assert.Equal(reference.Count, map.Count);
                Assert.Equal(NodeText.Of(reference), NodeText.Of(map.InOrder()));
                Assert.Equal(NodeText.Of(reference).ToHashSet(), NodeText.Of(map.Unordered()).ToHashSet());
                Assert.Equal(reference.Select(n => n.Name), map.NamesInOrder());
                Assert.Equal(reference.Select(n => n.Name).ToHashSet(), map.NamesUnordered().ToHashSet());
                kept.Add((map, NodeText.Of(reference).ToList()));
            }
            Assert.Equal(NodeText.Of(reference.Find(n => n.Name == name)), NodeText.Of(map.Get(name)));
            Assert.Equal(NodeText.Of(map.Get(name)), NodeText.Of(map.Get(name.AsSpan())));
        }
        Assert.Equal(NodeText.Of(reference), NodeText.Of(map.InOrder()));
        Assert.Null(map.Get("absent"));
        foreach (var (version, children) in kept)
        {
            Assert.Equal(children, NodeText.Of(version.InOrder()));
            foreach (var child in version.InOrder()) Assert.Equal(NodeText.Of(child), NodeText.Of(version.Get(child.Name)));
        }
    }

    [Fact]
    public void OldVersionsAreUntouchedByLaterChanges()
    {
        var nodes = Enumerable.Range(0, 100).Select(i => Leaf($"c{i}")).ToList();
        var before = LargeChildMap.Build(nodes);
        var after = before.Remove("c5").Set(Leaf("new", 2)).Set(Leaf("c7", 3)).Set(Leaf("c5", 4));
        Assert.Equal(NodeText.Of(nodes), NodeText.Of(before.InOrder()));
        foreach (var node in nodes) Assert.Equal(NodeText.Of(node), NodeText.Of(before.Get(node.Name)));
        Assert.Null(before.Get("new"));
        Assert.Equal(101, after.Count);
        Assert.Equal(["new", "c5"], after.NamesInOrder().TakeLast(2));
        Assert.Equal(NodeText.Of(Leaf("c7", 3)), NodeText.Of(after.Get("c7")));
        Assert.Equal("c7", after.NamesInOrder().ElementAt(6));
    }

    /// <summary>
    /// Someone who keeps a version and changes it (a transaction) while the log's owner goes on
    /// from the same version (the live store): neither sees the other's changes.
    /// </summary>
    [Fact]
    public void AKeptVersionChangedByAnotherBranchesOffAndLeavesTheOwnersLineAlone()
    {
        var edit = new TreeEdit { WritesOldArrays = true };
        var nodes = Enumerable.Range(0, 200).Select(i => Leaf($"c{i}")).ToList();
        var shared = LargeChildMap.Build(nodes).Set(Leaf("live0", 1), edit);
        edit.Share();
        var live = shared.Set(Leaf("live1", 2), edit).Remove("c3", edit).Set(Leaf("c4", 3), edit);
        var branch = shared.Set(Leaf("mine", 4)).Remove("c9").Set(Leaf("c4", 5)).Set(Leaf("c9", 6));
        Assert.IsType<BranchChildMap>(branch);
        live = live.Set(Leaf("live2", 7), edit);
        // The owner goes on appending to the same log, whatever the branch did.
        Assert.Same(((LargeChildMap)shared).Log, Assert.IsType<LargeChildMap>(live).Log);

        Assert.Equal([.. nodes.Select(n => n.Name), "live0"], shared.NamesInOrder());
        Assert.Equal(NodeText.Of(Leaf("c4")), NodeText.Of(shared.Get("c4")));
        Assert.Equal([.. nodes.Select(n => n.Name).Where(n => n != "c3"), "live0", "live1", "live2"], live.NamesInOrder());
        Assert.Equal(NodeText.Of(Leaf("c4", 3)), NodeText.Of(live.Get("c4")));
        Assert.Equal([.. nodes.Select(n => n.Name).Where(n => n != "c9"), "live0", "mine", "c9"], branch.NamesInOrder());
        Assert.Equal(NodeText.Of(Leaf("c4", 5)), NodeText.Of(branch.Get("c4")));
        Assert.Equal(NodeText.Of(Leaf("c9", 6)), NodeText.Of(branch.Get("c9".AsSpan())));
        Assert.NotNull(branch.Get("c3"));
        Assert.Null(branch.Get("live1"));
        Assert.Equal(branch.NamesInOrder().Count(), branch.Count);
        // A transaction's version lists from the same cache as the live one while its names are the same.
        Assert.Same(shared.NamesVersion, shared.Set(Leaf("c1", 9)).NamesVersion);
        Assert.NotNull(branch.NamesVersion);
        Assert.NotSame(shared.NamesVersion, branch.NamesVersion);
        Assert.NotSame(branch.NamesVersion, ((BranchChildMap)branch).Remove("c1").NamesVersion);
        // Under the live store's edit a branch takes its children into a log of its own.
        var adopted = branch.Set(Leaf("later", 8), edit);
        Assert.IsType<LargeChildMap>(adopted);
        Assert.Equal([.. branch.NamesInOrder(), "later"], adopted.NamesInOrder());
    }

    /// <summary>
    /// A refused change is taken back whole (<see cref="TreeEdit.Restore"/>), the log's appends
    /// too: the version before it is the log's newest again, and the next change appends to the
    /// same log instead of copying the directory into a new one.
    /// </summary>
    [Fact]
    public void AChangeTakenBackLeavesTheLogToAppendTo()
    {
        var edit = new TreeEdit();
        var before = LargeChildMap.Build([.. Enumerable.Range(0, 100).Select(i => Leaf($"c{i}"))]).Set(Leaf("c0", 1), edit);
        edit.Forget();
        var names = before.NamesInOrder().ToList();
        var refused = before.Set(Leaf("new", 2), edit).Remove("c5", edit).Set(Leaf("c6", 3), edit);
        Assert.NotEqual(names, refused.NamesInOrder());
        edit.Restore();
        Assert.Equal(names, before.NamesInOrder());
        Assert.Equal(NodeText.Of(Leaf("c6")), NodeText.Of(before.Get("c6")));
        var after = (LargeChildMap)before.Set(Leaf("later", 4), edit);
        Assert.Same(((LargeChildMap)before).Log, after.Log);
        Assert.Equal([.. names, "later"], after.NamesInOrder());
    }

    /// <summary>
    /// A snapshot is written from a kept version on another thread while the live store goes
    /// on appending, replacing, removing and taking back refused changes in the same log: the
    /// kept version must read whole and unchanged all along.
    /// </summary>
    [Fact]
    public async Task AVersionKeptForASnapshotReadsWholeWhileTheOwnerGoesOn()
    {
        var edit = new TreeEdit();
        ChildMap live = LargeChildMap.Build([.. Enumerable.Range(0, 3000).Select(i => Leaf($"c{i}"))]).Set(Leaf("c0", 1), edit);
        edit.Forget();
        edit.Share();
        var kept = live;
        var expected = NodeText.Of(kept.InOrder()).ToList();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var rounds = 0;
            while (!stop.IsCancellationRequested || rounds < 3)
            {
                Assert.Equal(expected, NodeText.Of(kept.InOrder()));
                for (var i = 0; i < 3000; i += 7) Assert.Equal(expected[i], NodeText.Of(kept.Get($"c{i}".AsSpan())));
                Assert.Null(kept.Get("n5"));
                rounds++;
            }
        });
        var random = new Random(7);
        for (var step = 0; step < 200_000 && !reader.IsCompleted; step++)
        {
            var name = random.Next(2) == 0 ? $"c{random.Next(3000)}" : $"n{random.Next(20_000)}";
            var beforeChange = live;
            live = random.Next(4) == 0 ? live.Remove(name, edit) : live.Set(Leaf(name, step + 2), edit);
            if (random.Next(50) == 0)
            {
                edit.Restore();
                live = beforeChange;
            }
            else edit.Forget();
            if (random.Next(1000) == 0) edit.Share();
        }
        stop.Cancel();
        await reader;
        Assert.Equal(expected, NodeText.Of(kept.InOrder()));
    }

    /// <summary>
    /// A map built at once (loading a snapshot) is the map the same children inserted one by
    /// one would be: same order, same lookups, and it goes on behaving as an ordered list.
    /// </summary>
    [Theory]
    [InlineData(-1, 1000)]
    [InlineData(-1, 1)]
    [InlineData(0xFF, 300)]
    [InlineData(0x3, 200)]
    [InlineData(0, 50)]
    public void ABuiltMapIsTheMapOfItsChildrenInserted(int hashMask, int count)
    {
        var nodes = Enumerable.Range(0, count).Select(i => Leaf($"c{i * 7919 % 100_003}")).ToArray();
        var built = LargeChildMap.Build(nodes, hashMask);
        Assert.Equal(count, built.Count);
        Assert.Equal(NodeText.Of(nodes), NodeText.Of(built.InOrder()));
        foreach (var node in nodes) Assert.Equal(NodeText.Of(node), NodeText.Of(built.Get(node.Name)));
        Assert.Null(built.Get("absent"));

        var random = new Random(count);
        var reference = nodes.ToList();
        ChildMap map = built;
        for (var step = 0; step < 2000; step++)
        {
            var name = random.Next(2) == 0 ? reference[random.Next(reference.Count)].Name : "n" + random.Next(100);
            var at = reference.FindIndex(n => n.Name == name);
            if (random.Next(3) == 0 && reference.Count > 1)
            {
                map = map.Remove(name);
                if (at >= 0) reference.RemoveAt(at);
            }
            else
            {
                var node = Leaf(name, step + 1);
                map = map.Set(node);
                if (at >= 0) reference[at] = node;
                else reference.Add(node);
            }
            Assert.Equal(NodeText.Of(reference.Find(n => n.Name == name)), NodeText.Of(map.Get(name)));
        }
        Assert.Equal(NodeText.Of(reference), NodeText.Of(map.InOrder()));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void BuildingAMapWithARepeatedNameFails(int hashMask)
    {
        var nodes = Enumerable.Range(0, 40).Select(i => Leaf($"c{i}")).Append(Leaf("c7")).ToArray();
        Assert.Throws<ArgumentException>(() => LargeChildMap.Build(nodes, hashMask));
        Assert.Throws<ArgumentException>(() => ChildMap.FromOrdered([Leaf("x"), Leaf("y"), Leaf("x")]));
        Assert.Equal(["x", "y"], ChildMap.FromOrdered([Leaf("x"), Leaf("y")]).InOrder().Select(n => n.Name));
        Assert.Equal(["x", "y"], ChildMap.FromOrdered([Leaf("x"), Leaf("y")]).NamesInOrder());
    }

    /// <summary>
    /// A thousand leaves (a domain's directory in the host-shaped store the memory probe fills)
    /// cost under 52 bytes each: a leaf's 32-byte entry and its share of the table and of the
    /// log's slack.
    /// </summary>
    [Fact]
    public void AThousandLeavesCostLittleMoreThanTheirEntries()
    {
        var grown = (LargeChildMap)Enumerable.Range(0, 1000).Aggregate((ChildMap)LargeChildMap.Build([]), (map, i) => map.Set(Leaf($"k{i}")));
        Assert.InRange(grown.Footprint() / 1000.0, 32, 52);
        Assert.InRange(LargeChildMap.Build([.. grown.InOrder()]).Footprint() / 1000.0, 32, 52);
    }

    /// <summary>
    /// The point of the log: a new child of a directory the collector has moved to gen2 appends
    /// an entry instead of copying arrays of the directory's (a trie copied a bucket and four
    /// branches, about 1.2 KB). Counted, not timed: the bytes a thousand new children allocate.
    /// </summary>
    [Fact]
    public void ANewChildOfAnOldLargeDirectoryAllocatesLittleMoreThanItsName()
    {
        var edit = new TreeEdit();
        ChildMap map = LargeChildMap.Build([.. Enumerable.Range(0, 20_000).Select(i => Leaf($"k{i}"))]).Set(Leaf("first"), edit);
        GC.Collect();
        GC.Collect();
        var names = Enumerable.Range(0, 1000).Select(i => Leaf($"new{i}")).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var child in names) map = map.Set(child, edit);
        var perChild = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000.0;
        Assert.Equal(21_001, map.Count);
        // A new version of the map (64 bytes), a names version (24) and, every 1,024 children, a chunk (32 KiB).
        Assert.InRange(perChild, 0, 200);
    }
}
