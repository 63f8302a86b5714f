using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Tree;

public sealed class TreeTests
{
    private static Node Leaf(string name, string value = "") => Node.Leaf(name, Wire.Encode(value), PermissionList.Dom0Only, 1);

    [Fact]
    public void AnOldRootIsASnapshotThatLaterChangesNeverTouch()
    {
        var root = Leaf("");
        var v1 = NodeTree.Replace(root, "/a", Leaf("a", "1"), 2);
        var v2 = NodeTree.Replace(v1, "/a/b", Leaf("b", "2"), 3);
        var v3 = NodeTree.Replace(v2, "/a", NodeTree.Lookup(v2, "/a")!.WithContent(Wire.Encode("changed"), PermissionList.Dom0Only, 4), 4);
        Assert.Null(NodeTree.Lookup(v1, "/a/b"));
        Assert.Equal("1", Wire.Decode(NodeTree.Lookup(v2, "/a")!.Value));
        Assert.Equal("changed", Wire.Decode(NodeTree.Lookup(v3, "/a")!.Value));
        Assert.NotNull(NodeTree.Lookup(v3, "/a/b"));
        // Untouched subtrees are shared, not copied.
        var v4 = NodeTree.Replace(v3, "/other", Leaf("other"), 5);
        Assert.Same(NodeTree.Lookup(v3, "/a"), NodeTree.Lookup(v4, "/a"));
    }

    [Fact]
    public void AddingOrRemovingAChildChangesTheParentsGenerationChangingAChildDoesNot()
    {
        var root = NodeTree.Replace(Leaf(""), "/p", Leaf("p"), 2);
        var withChild = NodeTree.Replace(root, "/p/c", Leaf("c"), 7);
        Assert.Equal(7ul, NodeTree.Lookup(withChild, "/p")!.Generation);
        var childChanged = NodeTree.Replace(withChild, "/p/c", NodeTree.Lookup(withChild, "/p/c")!.WithContent([1], PermissionList.Dom0Only, 9), 9);
        Assert.Equal(7ul, NodeTree.Lookup(childChanged, "/p")!.Generation);
        var removed = NodeTree.Replace(childChanged, "/p/c", null, 11);
        Assert.Equal(11ul, NodeTree.Lookup(removed, "/p")!.Generation);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(ChildMap.ArrayLimit + 1)]
    [InlineData(2000)]
    public void ChildrenKeepCreationOrderInBothForms(int count)
    {
        var map = ChildMap.Empty;
        var names = Enumerable.Range(0, count).Select(i => $"n{(i * 7919) % count}").Distinct().ToList();
        foreach (var n in names) map = map.Set(Leaf(n));
        Assert.Equal(names, map.InOrder().Select(n => n.Name));
        map = map.Remove(names[1]).Set(Leaf(names[0], "replaced in place"));
        Assert.Equal(names.Where((_, i) => i != 1), map.InOrder().Select(n => n.Name));
        Assert.Equal("replaced in place", Wire.Decode(map.Get(names[0])!.Value));
        Assert.Equal("replaced in place", Wire.Decode(map.Get(names[0].AsSpan())!.Value));
        Assert.Null(map.Get("absent"));
        Assert.Equal(names.Count - 1, map.Count);
    }

    [Fact]
    public void DeepTreesAreWalkedWithoutRecursion()
    {
        var root = Leaf("");
        var path = "";
        for (var i = 0; i < 1000; i++)
        {
            path += "/d";
            root = NodeTree.Replace(root, path, Leaf("d"), (ulong)i + 2);
        }
        Assert.Equal(1001, NodeTree.Walk(root, "/").Count());
        var post = Visited(new PostOrderWalk(root, "/", null));
        Assert.Equal(path, post[0].Path);
        Assert.Equal("/", post[^1].Path);
    }
    [Fact]
    public void AChainIsBuiltBottomUpAndAttachedInOneReplace()
    {
        var root = NodeTree.Replace(Leaf(""), "/a", Leaf("a"), 2);
        Assert.Same(root, NodeTree.DeepestAncestor(root, "/x/y", out var end));
        Assert.Equal(0, end);
        var a = NodeTree.DeepestAncestor(root, "/a/b/c/d", out end);
        Assert.Equal("a", a.Name);
        Assert.Equal(2, end);
        var chain = NodeTree.Chain("/a/b/c/d", end, Wire.Encode("v"), PermissionList.Dom0Only, [10, 11, 12]);
        var built = NodeTree.Replace(root, "/a/b", chain, 10);
        // As if made level by level: each node carries its child's generation, the last its own.
        string[] levels = ["/a", "/a/b", "/a/b/c", "/a/b/c/d"];
        Assert.Equal([10UL, 11, 12, 12], levels.Select(p => NodeTree.Lookup(built, p)!.Generation));
        Assert.Equal("v", Wire.Decode(NodeTree.Lookup(built, "/a/b/c/d")!.Value));
        Assert.Equal(NodeText.Of(NodeTree.Lookup(built, "/a/b/c/d")), NodeText.Of(NodeTree.DeepestAncestor(built, "/a/b/c/d/e", out end)));
        Assert.Equal("/a/b/c/d".Length, end);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/a")]
    public void APostOrderWalkGivesEachNodeWithItsParentAndPathChildrenFirst(string top)
    {
        var root = Leaf("");
        foreach (var path in new[] { "/a", "/a/b", "/a/b/x", "/a/c", "/a/long-name", "/a/long-name/y" })
            root = NodeTree.Replace(root, path, Leaf(path[(path.LastIndexOf('/') + 1)..]), 2);
        var topNode = NodeTree.Lookup(root, top)!;
        var topParent = top == "/" ? null : root;
        var visited = Visited(new PostOrderWalk(topNode, top, topParent));
        string[] expected = ["/a/b/x", "/a/b", "/a/c", "/a/long-name/y", "/a/long-name", "/a"];
        Assert.Equal(top == "/" ? [.. expected, "/"] : expected, visited.Select(v => v.Path));
        Assert.All(visited, v => Assert.Equal(v.Path.Length, v.PathLength));
        // A leaf is made anew from its directory's entry each time it is looked up: compared by content.
        Assert.All(visited, v => Assert.Equal(NodeText.Of(v.Path == top ? topParent : NodeTree.Lookup(root, XenStorePath.Parent(v.Path))), NodeText.Of(v.Parent)));
        Assert.All(visited, v => Assert.Equal(NodeText.Of(NodeTree.Lookup(root, v.Path)), NodeText.Of(v.Node)));
    }

    private static List<(string Path, int PathLength, Node Node, Node? Parent)> Visited(PostOrderWalk walk)
    {
        var visited = new List<(string, int, Node, Node?)>();
        while (walk.MoveNext()) visited.Add((walk.Path, walk.PathLength, walk.Node, walk.Parent));
        return visited;
    }

    [Fact]
    public void ALargeMapKeepsItsNamesVersionWhenAChildIsReplacedOnly()
    {
        var map = ChildMap.Empty;
        for (var i = 0; i < 40; i++) map = map.Set(Leaf($"c{i}"));
        Assert.NotNull(map.NamesVersion);
        Assert.Null(ChildMap.Empty.Set(Leaf("small")).NamesVersion);
        var replaced = map.Set(Leaf("c7", "changed"));
        Assert.Same(map.NamesVersion, replaced.NamesVersion);
        Assert.NotSame(map.NamesVersion, map.Set(Leaf("new")).NamesVersion);
        Assert.NotSame(map.NamesVersion, map.Remove("c7").NamesVersion);
        Assert.Same(map, map.Remove("absent"));
    }
}
