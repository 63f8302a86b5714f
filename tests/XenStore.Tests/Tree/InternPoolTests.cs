using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Tests.Tree;

/// <summary>Nodes share short names and values (the store's memory per node), never long ones, and never change what a node holds.</summary>
public sealed class InternPoolTests
{
    private static Node Make(string name, string value) =>
        Node.Leaf(new string(name.AsSpan()), Wire.Encode(value), PermissionList.Dom0Only, 1);

    [Fact]
    public void NodesWithTheSameShortNameAndValueShareThem()
    {
        var a = Make("backend-id", "0");
        var b = Make("backend-id", "0");
        Assert.Same(a.Name, b.Name);
        Assert.Same(a.Value, b.Value);
        var copy = a.WithContent(Wire.Encode("0"), PermissionList.Dom0Only, 2);
        Assert.Same(a.Value, copy.Value);
    }

    [Fact]
    public void ANameLoadedAsBytesIsTheNameNodesShare()
    {
        var node = Make("frontend-id", "0");
        Assert.Same(node.Name, InternPool.Name("frontend-id"u8));
        Assert.Equal("fröntend", InternPool.Name("fröntend"u8));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(InternPool.MaxLength + 1)]
    public void AValueANodeKeepsIsACopyTheCollectorCountsAsOldFromBirth(int length)
    {
        var written = Wire.Encode(new string('q', length - 1) + Guid.NewGuid().ToString("N")[..1]);
        var node = Node.Leaf("v", written, PermissionList.Dom0Only, 1);
        Assert.NotSame(written, node.Value);
        Assert.Equal(written, node.Value);
        Assert.Equal(2, GC.GetGeneration(node.Value));
    }

    [Fact]
    public void LongNamesAndValuesAreNotPooled()
    {
        var longText = new string('x', InternPool.MaxLength + 1);
        var a = Make(longText, longText);
        var b = Make(longText, longText);
        Assert.NotSame(a.Name, b.Name);
        Assert.NotSame(a.Value, b.Value);
    }

    [Fact]
    public void APoolSlotTakenByAnotherValueLosesNothing()
    {
        // Many different values pass through the same fixed table: each node keeps its own bytes.
        var nodes = Enumerable.Range(0, 100_000).Select(i => Make($"n{i}", $"v{i}")).ToList();
        for (var i = 0; i < nodes.Count; i++)
        {
            Assert.Equal($"n{i}", nodes[i].Name);
            Assert.Equal($"v{i}", Wire.Decode(nodes[i].Value));
        }
    }
}
