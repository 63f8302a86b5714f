using System.Globalization;
using System.Text.RegularExpressions;
using XenStore.Client;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// The standalone host compiles its request path before it serves, so a just-started daemon's
/// first clients do not wait for the JIT (bench/results.md, Scale: the first READ of a cold
/// host took 14-48 ms). Counted, not timed: the methods the runtime compiles while the first
/// client's requests run.
/// </summary>
public sealed partial class RequestPathWarmUpTests
{
    [Fact]
    public async Task TheFirstClientOfAJustStartedHostFindsItsRequestPathCompiled()
    {
        // What a toolstack does first: writes, reads, listings, permissions, a watch, a transaction.
        var compiled = await CompiledByFirstClient(async client =>
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.WriteAsync($"/first/k{i}", "v")));
            Assert.Equal("v", await client.ReadStringAsync("/first/k0"));
            Assert.Equal(8, (await client.ListAsync("/first")).Count);
            await client.SetPermissionsAsync("/first", await client.GetPermissionsAsync("/first"));
            await using (var watch = await client.WatchAsync("/first"))
                Assert.NotNull(await watch.ReadAsync());
            await client.RunTransactionAsync(async t => await t.WriteAsync("/first/k1", await t.ReadAsync("/first/k1")));
            await client.RemoveAsync("/first");
        });

        // Without the warm-up these requests compile about 150 methods; with it, one.
        Assert.True(compiled < 40, $"{compiled} methods were compiled while the first client's requests ran");
    }

    [Fact]
    public async Task TheFirstLargeDirectoryOfAJustStartedHostFindsItsPathCompiled()
    {
        // A directory past the small map's 32 children, as a host's first domains make them.
        var compiled = await CompiledByFirstClient(async client =>
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.WriteAsync($"/large/k{i}", "v")));
            Assert.Equal("v", await client.ReadStringAsync("/large/k7"));
            Assert.Equal(200, (await client.ListAsync("/large")).Count);
            await client.RemoveAsync("/large/k8");
            await client.RemoveAsync("/large");
        });

        // Without the warm-up's large directory these requests compile about twenty methods.
        Assert.True(compiled < 8, $"{compiled} methods were compiled while the first large directory was written");
    }

    /// <summary>The methods a just-started host compiles while its first client runs <paramref name="requests"/>.</summary>
    private static async Task<int> CompiledByFirstClient(Func<XenStoreClient, Task> requests)
    {
        // Without tiering every method is compiled once, at its first call, so the count says
        // what the warm-up left uncompiled; with it, the runtime's background recompilation of
        // hot methods would add a varying number to any window.
        using var daemon = StandaloneDaemon.Start(environment: new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0" });
        await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
        var before = await CompiledMethods(client);
        await requests(client);
        return await CompiledMethods(client) - before;
    }

    private static async Task<int> CompiledMethods(XenStoreClient client)
    {
        var report = await client.ControlAsync("memreport");
        var match = JitLine().Match(report);
        Assert.True(match.Success, report);
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^jit: (\d+) methods compiled", RegexOptions.Multiline)]
    private static partial Regex JitLine();
}
