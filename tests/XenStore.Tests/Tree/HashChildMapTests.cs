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
                Assert.Equal(reference, map.InOrder());
                Assert.Equal(reference.ToHashSet(), map.Unordered().ToHashSet());
            }
            Assert.Same(reference.Find(n => n.Name == name), map.Get(name));
            Assert.Same(map.Get(name), map.Get(name.AsSpan()));
        }
        Assert.Equal(reference, map.InOrder());
        Assert.Null(map.Get("absent"));
    }

    [Fact]
    public void OldVersionsAreUntouchedByLaterChanges()
    {
        var nodes = Enumerable.Range(0, 100).Select(i => Node.Leaf($"c{i}", [], PermissionList.Dom0Only, 1)).ToList();
        ChildMap before = HashChildMap.From(nodes);
        var after = before.Remove("c5").Set(Node.Leaf("new", [], PermissionList.Dom0Only, 2));
        Assert.Equal(nodes, before.InOrder());
        Assert.Null(after.Get("c5"));
        Assert.Equal(100, after.Count);
        Assert.Equal("new", after.InOrder().Last().Name);
    }
}
