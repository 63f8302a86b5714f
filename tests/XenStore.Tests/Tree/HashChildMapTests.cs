using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Tree;

/// <summary>
/// The large-directory map against a plain ordered list, over random adds, replacements and
/// removals; with the full hash, and with hashes cut to a few bits so that names collide at
/// every level of the trie.
/// </summary>
public sealed class HashChildMapTests
{
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
        ChildMap map = HashChildMap.From([], hashMask);
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
                var node = Node.Leaf(name, Wire.Encode(step.ToString()), PermissionList.Dom0Only, (ulong)step + 1);
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
            }
            Assert.Equal(NodeText.Of(reference.Find(n => n.Name == name)), NodeText.Of(map.Get(name)));
            Assert.Equal(NodeText.Of(map.Get(name)), NodeText.Of(map.Get(name.AsSpan())));
        }
        Assert.Equal(NodeText.Of(reference), NodeText.Of(map.InOrder()));
        Assert.Null(map.Get("absent"));
    }

    [Fact]
    public void ChildrenAddedPastTheLastSequenceAreNumberedAgainInTheirOrder()
    {
        // Bucket entries keep 16 bits of the name's hash below the sequence: a sequence past
        // MaxSequence would wrap negative and put the newest children first.
        ChildMap map = HashChildMap.StartingAt(HashChildMap.MaxSequence - 3);
        var names = Enumerable.Range(0, 40).Select(i => $"k{i}").ToList();
        foreach (var name in names) map = map.Set(Node.Leaf(name, [], PermissionList.Dom0Only, 1));
        Assert.Equal(names, map.NamesInOrder());
        map = map.Set(Node.Leaf("last", [], PermissionList.Dom0Only, 1));
        Assert.Equal([.. names, "last"], map.NamesInOrder());
    }

    [Fact]
    public void OldVersionsAreUntouchedByLaterChanges()
    {
        var nodes = Enumerable.Range(0, 100).Select(i => Node.Leaf($"c{i}", [], PermissionList.Dom0Only, 1)).ToList();
        ChildMap before = HashChildMap.From(nodes);
        var after = before.Remove("c5").Set(Node.Leaf("new", [], PermissionList.Dom0Only, 2));
        Assert.Equal(NodeText.Of(nodes), NodeText.Of(before.InOrder()));
        Assert.Null(after.Get("c5"));
        Assert.Equal(100, after.Count);
        Assert.Equal("new", after.InOrder().Last().Name);
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
        var nodes = Enumerable.Range(0, count).Select(i => Node.Leaf($"c{i * 7919 % 100_003}", [], PermissionList.Dom0Only, 1)).ToArray();
        var built = HashChildMap.Build(nodes, hashMask);
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
                var node = Node.Leaf(name, [], PermissionList.Dom0Only, (ulong)step + 2);
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
        var nodes = Enumerable.Range(0, 40).Select(i => Node.Leaf($"c{i}", [], PermissionList.Dom0Only, 1)).Append(Node.Leaf("c7", [], PermissionList.Dom0Only, 1)).ToArray();
        Assert.Throws<ArgumentException>(() => HashChildMap.Build(nodes, hashMask));
        Node Leaf(string name) => Node.Leaf(name, [], PermissionList.Dom0Only, 1);
        Assert.Throws<ArgumentException>(() => ChildMap.FromOrdered([Leaf("x"), Leaf("y"), Leaf("x")]));
        Assert.Equal(["x", "y"], ChildMap.FromOrdered([Leaf("x"), Leaf("y")]).InOrder().Select(n => n.Name));
        Assert.Equal(["x", "y"], ChildMap.FromOrdered([Leaf("x"), Leaf("y")]).NamesInOrder());
    }
}
