using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Tree;

/// <summary>
/// A node without children is the leaf form (no field for children), one with children the
/// directory form; the change between them is invisible but for the memory it saves.
/// </summary>
public sealed class NodeFormTests
{
    private static Node Leaf(string name, string value = "") => Node.Leaf(name, Wire.Encode(value), PermissionList.Dom0Only, 1);

    [Fact]
    public void ALeafBecomesADirectoryOnItsFirstChildAndALeafAgainWhenTheLastGoes()
    {
        var root = NodeTree.Replace(Leaf(""), "/p", Leaf("p", "v"), 2);
        Assert.IsType<LeafNode>(NodeTree.Lookup(root, "/p"));
        Assert.Same(ChildMap.Empty, NodeTree.Lookup(root, "/p")!.Children);

        var one = NodeTree.Replace(root, "/p/a", Leaf("a"), 3);
        var two = NodeTree.Replace(one, "/p/b", Leaf("b"), 4);
        var p = NodeTree.Lookup(two, "/p")!;
        Assert.IsType<DirectoryNode>(p);
        Assert.Equal(["a", "b"], p.Children.InOrder().Select(c => c.Name));
        Assert.Equal("v", Wire.Decode(p.Value));
        Assert.Equal(4ul, p.Generation);

        var back = NodeTree.Replace(NodeTree.Replace(two, "/p/a", null, 5), "/p/b", null, 6);
        var leaf = NodeTree.Lookup(back, "/p")!;
        Assert.IsType<LeafNode>(leaf);
        Assert.Equal(0, leaf.Children.Count);
        Assert.Equal("v", Wire.Decode(leaf.Value));
        Assert.Equal(6ul, leaf.Generation);
        // The older versions keep their form and children.
        Assert.Equal(2, NodeTree.Lookup(two, "/p")!.Children.Count);
    }

    [Fact]
    public void ADirectoryKeepsItsChildrenInOrderThroughContentChanges()
    {
        var dir = Leaf("dir");
        var names = Enumerable.Range(0, ChildMap.ArrayLimit + 10).Select(i => $"c{(i * 37) % 101}").ToList();
        foreach (var name in names) dir = dir.WithChildren(dir.Children.Set(Leaf(name)), 3);
        var changed = dir.WithContent(Wire.Encode("x"), PermissionList.Dom0Only, 4);
        Assert.IsType<DirectoryNode>(changed);
        Assert.Same(dir.Children, changed.Children);
        Assert.Equal(names, changed.Children.InOrder().Select(c => c.Name));
        Assert.IsType<DirectoryNode>(changed.WithUpdatedChild(Leaf(names[5], "new")));
        Assert.Equal(names, changed.WithUpdatedChild(Leaf(names[5], "new")).Children.InOrder().Select(c => c.Name));
    }

    [Fact]
    public void CreatePicksTheFormFromTheChildCount()
    {
        var empty = Node.Create("n", Wire.Encode("v"), PermissionList.Dom0Only, 7, ChildMap.Empty);
        Assert.IsType<LeafNode>(empty);
        Assert.Same(ChildMap.Empty, empty.Children);
        // A large map emptied by removals still makes a leaf.
        var big = LargeChildMap.Build([Leaf("x")]).Remove("x");
        Assert.IsType<LeafNode>(Node.Create("n", [], PermissionList.Dom0Only, 7, big));
        var full = Node.Create("n", [], PermissionList.Dom0Only, 7, ChildMap.Empty.Set(Leaf("c")));
        Assert.IsType<DirectoryNode>(full);
        Assert.Equal(7ul, full.Generation);
        Assert.Throws<ArgumentNullException>(() => Node.Create("n", [], PermissionList.Dom0Only, 7, null!));
    }
}
