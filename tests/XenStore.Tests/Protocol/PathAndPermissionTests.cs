using XenStore.Protocol;

namespace XenStore.Tests.Protocol;

public sealed class PathAndPermissionTests
{
    [Theory]
    [InlineData("/", true)]
    [InlineData("/a/b-c_D@9", true)]
    [InlineData("/a/", false)]
    [InlineData("/a//b", false)]
    [InlineData("/a b", false)]
    [InlineData("/a.b", false)]
    [InlineData("", false)]
    [InlineData("relative", false)]
    public void AbsolutePathsAreValidatedAsTheCDaemonDoes(string path, bool valid) =>
        Assert.Equal(valid, XenStorePath.IsValidAbsolute(path));

    [Fact]
    public void RelativePathsLiveUnderTheDomainHome()
    {
        Assert.True(XenStorePath.TryCanonicalize("data/x", 7, 2048, out var canonical));
        Assert.Equal("/local/domain/7/data/x", canonical);
        Assert.False(XenStorePath.TryCanonicalize("", 7, 2048, out _));
    }

    [Theory]
    [InlineData("data/x", 7u)]
    [InlineData("/abs/x", 7u)]
    [InlineData("", 7u)]
    [InlineData("/", 0u)]
    [InlineData("a", 4294967295u)]
    [InlineData("d\u00e9j\u00e0", 3u)]
    [InlineData("a//b", 1u)]
    public void PathsInWireBytesCanonicalizeAsTheirStrings(string raw, uint domid)
    {
        // The daemon canonicalizes a request's path without decoding it first: same answers.
        foreach (var path in new[] { raw, raw + new string('a', 300), raw + new string('b', 2100) })
        {
            var fromString = XenStorePath.TryCanonicalize(path, domid, 2048, out var expected);
            Assert.Equal(fromString, XenStorePath.TryCanonicalize(Wire.Encode(path), domid, 2048, out var canonical));
            Assert.Equal(expected, canonical);
        }
    }

    [Theory]
    [InlineData("/local/domain/7/data/x", 7u, "data/x")]
    [InlineData("/local/domain/7", 7u, "/local/domain/7")]
    [InlineData("/local/domain/70/x", 7u, "/local/domain/70/x")]
    [InlineData("/local/domain/7x/y", 7u, "/local/domain/7x/y")]
    [InlineData("/local/domain/4294967295/a", 4294967295u, "a")]
    [InlineData("/vm/7/x", 7u, "/vm/7/x")]
    public void EventPathsOfRelativeWatchesLoseOnlyTheirOwnHome(string path, uint domid, string relative) =>
        Assert.Equal(relative, XenStorePath.ToRelative(path, domid));

    [Fact]
    public void PathMaxCountsOnlyWhatFollowsTheDomainHome()
    {
        Assert.True(XenStorePath.IsValidAbsolute("/" + new string('a', 2047)));
        Assert.False(XenStorePath.IsValidAbsolute("/" + new string('a', 2048)));
        Assert.True(XenStorePath.IsValidAbsolute("/local/domain/5/" + new string('a', 2048)));
        Assert.False(XenStorePath.IsValidAbsolute("/local/domain/5/" + new string('a', 2049)));
        // More than five digits is no domain home: the whole path counts.
        Assert.False(XenStorePath.IsValidAbsolute("/local/domain/123456/" + new string('a', 2030)));
    }

    [Fact]
    public void PathPiecesAndRelations()
    {
        Assert.Equal("/a", XenStorePath.Parent("/a/b"));
        Assert.Equal("/", XenStorePath.Parent("/a"));
        Assert.Equal("b", XenStorePath.Name("/a/b"));
        Assert.True(XenStorePath.IsAtOrBelow("/a/b", "/a"));
        Assert.False(XenStorePath.IsAtOrBelow("/ab", "/a"));
        Assert.True(XenStorePath.IsAtOrBelow("/anything", "/"));
        Assert.Equal("x/y", XenStorePath.ToRelative("/local/domain/3/x/y", 3));
    }

    [Theory]
    [InlineData("n0", 0u, PermissionAccess.None)]
    [InlineData("r5", 5u, PermissionAccess.Read)]
    [InlineData("w65535", 65535u, PermissionAccess.Write)]
    [InlineData("b0x10", 16u, PermissionAccess.Both)]
    public void PermissionEntriesParse(string text, uint domid, PermissionAccess access)
    {
        Assert.True(Permission.TryParse(text, out var p));
        Assert.Equal(new Permission(domid, access), p);
    }

    [Theory]
    [InlineData("x0")]
    [InlineData("n")]
    [InlineData("")]
    [InlineData("r-1")]
    [InlineData("r65536")]
    [InlineData("r1a")]
    public void MalformedPermissionEntriesAreRefused(string text) => Assert.False(Permission.TryParse(text, out _));

    [Fact]
    public void PermissionListsKnowTheirOwnerAndWireForm()
    {
        var list = PermissionList.Parse("b5 r0 w7");
        Assert.Equal(5u, list.Owner);
        Assert.Equal("b5\0r0\0w7\0"u8.ToArray(), list.ToWire());
        Assert.Equal("b9 r0 w7", list.WithOwner(9).ToString());
        Assert.Equal("b5 w7", list.WithoutDomain(0).ToString());
        Assert.Same(list, list.WithoutDomain(42));
        Assert.Throws<FormatException>(() => PermissionList.Parse("q1"));
    }
}
