using XenStore.Client;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Client;

/// <summary>Our client and clients nobody here wrote, on one daemon: each reads what the other wrote.</summary>
public abstract class InteropSuite(DaemonFixture fixture) : IAsyncLifetime
{
    private readonly string root = "/interop/i" + Guid.NewGuid().ToString("N")[..8];
    private XenStoreClient client = null!;

    public async Task InitializeAsync() => client = await fixture.Daemon.ConnectAsync();

    public async Task DisposeAsync()
    {
        await client.RemoveAsync(root);
        await client.DisposeAsync();
    }

    private Dictionary<string, string> Env => new() { ["XENSTORED_PATH"] = fixture.Daemon.SocketPath };

    private string Tool(string name, params string[] args)
    {
        var result = TestEnvironment.Run(TestEnvironment.RequireTool(name), args, Env);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    private string Pyxs(string code)
    {
        var result = TestEnvironment.Run(TestEnvironment.RequireTool("/usr/bin/python3"),
            ["-c", $"import pyxs, sys\nwith pyxs.Client(unix_socket_path=sys.argv[1]) as c:\n    {code}", fixture.Daemon.SocketPath]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    [Fact]
    public async Task WhatOurClientWritesXenstoreReadAndPyxsRead()
    {
        await client.WriteAsync($"{root}/from-dotnet", "hello from .NET");
        Assert.Equal("hello from .NET\n", Tool("xenstore-read", $"{root}/from-dotnet"));
        Assert.Equal("b'hello from .NET'\n", Pyxs($"print(c.read(b'{root}/from-dotnet'))"));
    }

    [Fact]
    public async Task WhatXenstoreWriteAndPyxsWriteOurClientReads()
    {
        Tool("xenstore-write", $"{root}/from-utils", "utils value");
        Pyxs($"c.write(b'{root}/from-pyxs', b'pyxs value')");
        Assert.Equal("utils value", await client.ReadStringAsync($"{root}/from-utils"));
        Assert.Equal("pyxs value", await client.ReadStringAsync($"{root}/from-pyxs"));
        Assert.Equal(["from-pyxs", "from-utils"], (await client.ListAsync(root)).Order());
    }

    [Fact]
    public async Task XenstoreWriteFiresOurWatch()
    {
        await client.MkdirAsync(root);
        await using var watch = await client.WatchAsync(root);
        Assert.Equal(root, (await watch.ReadAsync())!.Path);
        Tool("xenstore-write", $"{root}/changed", "1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal($"{root}/changed", (await watch.ReadAsync(timeout.Token))!.Path);
    }

    [Fact]
    public async Task PermissionsSetByXenstoreChmodAreReadByOurClient()
    {
        await client.WriteAsync($"{root}/p", "x");
        Tool("xenstore-chmod", $"{root}/p", "n0", "r3");
        Assert.Equal("n0 r3", (await client.GetPermissionsAsync($"{root}/p")).ToString());
    }
}

[Trait("Needs", "peers")]
public sealed class InteropOnOurDaemon(OurSocketFixture f) : InteropSuite(f), IClassFixture<OurSocketFixture>;
[Trait("Needs", "peers")]
public sealed class InteropOnCxenstored(CxenstoredFixture f) : InteropSuite(f), IClassFixture<CxenstoredFixture>;
