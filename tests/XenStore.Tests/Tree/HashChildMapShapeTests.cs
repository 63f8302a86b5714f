using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Tree;

/// <summary>
/// The trie's shape: buckets of a few children, branches past them, the same shape whether a
/// map is built at once or child by child, and a small cost per child.
/// </summary>
public sealed class HashChildMapShapeTests
{
    private static Node[] Children(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Node.Leaf($"k{i}", [], PermissionList.Dom0Only, 1))];

    private static (int Arrays, int Slots, int Depth) Shape(HashChildMap map)
    {
        var (arrays, slots, depth, _) = map.Footprint();
        return (arrays, slots, depth);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0xF)]
    [InlineData(0xFF)]
    [InlineData(0)]
    public void BuildingAtOnceGivesTheShapeOfInsertingOneByOne(int hashMask)
    {
        foreach (var count in new[] { 1, 2, HashChildMap.BucketLimit, HashChildMap.BucketLimit + 1, 17, 33, 100, 1000 })
        {
            var nodes = Children(count);
            var built = HashChildMap.Build(nodes, hashMask);
            var inserted = HashChildMap.From(nodes, hashMask);
            Assert.Equal(inserted.Footprint(), built.Footprint());
            Assert.Equal(NodeText.Of(inserted.InOrder()), NodeText.Of(built.InOrder()));
            foreach (var node in nodes) Assert.Equal(NodeText.Of(node), NodeText.Of(built.Get(node.Name)));
        }
    }

    [Fact]
    public void AFewChildrenShareOneBucketAndOneMoreSplitsIt()
    {
        var nodes = Children(HashChildMap.BucketLimit + 1);
        var bucket = HashChildMap.From(nodes[..HashChildMap.BucketLimit]);
        Assert.Equal((1, HashChildMap.BucketLimit, 0), Shape(bucket));
        Assert.True(bucket.IsOneBucket);
        // A ninth becomes a level of the trie (its children spread by hash, which differs per process).
        var split = (HashChildMap)bucket.Set(nodes[^1]);
        Assert.False(split.IsOneBucket);
        Assert.Equal(NodeText.Of(nodes), NodeText.Of(split.InOrder()));
        // Names with one hash stay in one bucket however many there are.
        var colliding = HashChildMap.From(Children(50), hashMask: 0);
        Assert.Equal((1, 50, 0), Shape(colliding));
        Assert.True(colliding.IsOneBucket);
    }

    /// <summary>
    /// A thousand leaves (a domain's directory in the host-shaped store the memory probe
    /// fills) cost under 52 bytes each in the trie's arrays (49 measured): a leaf's 40-byte bucket entry
    /// and its share of the branches, where a leaf object and its slot took 64.
    /// </summary>
    [Fact]
    public void AThousandLeavesCostLittleMoreThanTheirBucketEntries()
    {
        var (_, _, depth, bytes) = HashChildMap.Build(Children(1000)).Footprint();
        Assert.InRange(bytes / 1000.0, 40, 52);
        Assert.InRange(depth, 2, 5);
    }

    [Fact]
    public void RemovingChildrenFoldsTheTrieBackAndKeepsTheOrder()
    {
        var nodes = Children(1000);
        ChildMap map = HashChildMap.Build(nodes);
        var kept = new List<Node>();
        for (var i = 0; i < nodes.Length; i++)
        {
            if (i % 97 == 5) kept.Add(nodes[i]);
            else map = map.Remove(nodes[i].Name);
        }
        Assert.Equal(NodeText.Of(kept), NodeText.Of(map.InOrder()));
        foreach (var node in nodes) Assert.Equal(NodeText.Of(kept.Contains(node) ? node : null), NodeText.Of(map.Get(node.Name)));
        // A handful of survivors spread over the levels fold up into a few small arrays.
        Assert.True(((HashChildMap)map).Footprint().Slots < 3 * kept.Count + 16);

        foreach (var node in kept) map = map.Remove(node.Name);
        Assert.Equal(0, map.Count);
        Assert.Empty(map.InOrder());
        Assert.Null(map.Get(nodes[5].Name));
        var again = map.Set(nodes[7]).Set(nodes[3]);
        Assert.Equal(NodeText.Of([nodes[7], nodes[3]]), NodeText.Of(again.InOrder()));
    }
}
