using System.Globalization;
using System.Text.RegularExpressions;
using XenStore.Client;
using XenStore.Protocol;
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
        using var daemon = StandaloneDaemon.Start();
        await using var client = await XenStoreClient.ConnectSocketAsync(daemon.SocketPath);
        var before = await SettledCompiledMethods(client);

        // What a toolstack does first: writes, reads, listings, permissions, a watch, a transaction.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.WriteAsync($"/first/k{i}", "v")));
        Assert.Equal("v", await client.ReadStringAsync("/first/k0"));
        Assert.Equal(8, (await client.ListAsync("/first")).Count);
        await client.SetPermissionsAsync("/first", await client.GetPermissionsAsync("/first"));
        await using (var watch = await client.WatchAsync("/first"))
            Assert.NotNull(await watch.ReadAsync());
        await client.RunTransactionAsync(async t => await t.WriteAsync("/first/k1", await t.ReadAsync("/first/k1")));
        await client.RemoveAsync("/first");

        // Without the warm-up these requests compiled about 190 methods; with it, 2.
        var compiled = await CompiledMethods(client) - before;
        Assert.True(compiled < 40, $"{compiled} methods were compiled while the first client's requests ran");
    }

    /// <summary>
    /// The count once the runtime's background recompilation of hot methods (tiering, which
    /// also follows the warm-up) has stopped adding to it, so only the mix's own compiles count.
    /// </summary>
    private static async Task<int> SettledCompiledMethods(XenStoreClient client)
    {
        var count = await CompiledMethods(client);
        for (var i = 0; i < 25; i++)
        {
            await Task.Delay(200);
            var now = await CompiledMethods(client);
            if (now == count) break;
            count = now;
        }
        return count;
    }

    private static async Task<int> CompiledMethods(XenStoreClient client)
    {
        var report = await client.RequestStringAsync(MessageType.Control, CancellationToken.None, "memreport");
        var match = JitLine().Match(report);
        Assert.True(match.Success, report);
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^jit: (\d+) methods compiled", RegexOptions.Multiline)]
    private static partial Regex JitLine();
}
