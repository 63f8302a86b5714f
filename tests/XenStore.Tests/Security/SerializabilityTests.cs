using XenStore.Client;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Security;

/// <summary>
/// Many clients increment shared counters in conflicting transactions, retrying on EAGAIN:
/// each counter ends equal to the increments that committed for it, no update lost, none applied twice.
/// </summary>
public sealed class SerializabilityTests(OurSocketFixture fixture) : IClassFixture<OurSocketFixture>
{
    [Fact]
    public async Task ConflictingIncrementsAreNeitherLostNorDoubled()
    {
        const int clients = 16, increments = 25, counters = 4;
        var root = "/serial/s" + Guid.NewGuid().ToString("N")[..8];
        await using var setup = await fixture.Daemon.ConnectAsync();
        for (var c = 0; c < counters; c++) await setup.WriteAsync($"{root}/c{c}", "0");
        var committed = new int[counters];
        var conflicts = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async k =>
        {
            await using var client = await fixture.Daemon.ConnectAsync();
            var random = new Random(k);
            for (var i = 0; i < increments; i++)
            {
                // Each transaction moves one unit from one counter to the next, and counts itself.
                var from = random.Next(counters);
                var to = (from + 1) % counters;
                var attempts = 0;
                await client.RunTransactionAsync(async tx =>
                {
                    attempts++;
                    var a = int.Parse(await tx.ReadStringAsync($"{root}/c{from}"));
                    var b = int.Parse(await tx.ReadStringAsync($"{root}/c{to}"));
                    await tx.WriteAsync($"{root}/c{from}", (a - 1).ToString());
                    await tx.WriteAsync($"{root}/c{to}", (b + 1).ToString());
                }, maxAttempts: 1000);
                Interlocked.Decrement(ref committed[from]);
                Interlocked.Increment(ref committed[to]);
                Interlocked.Add(ref conflicts, attempts - 1);
            }
        }));
        for (var c = 0; c < counters; c++)
            Assert.Equal(committed[c], int.Parse(await setup.ReadStringAsync($"{root}/c{c}")));
        Assert.True(conflicts > 0, "the clients never conflicted: the test proves nothing");
        await setup.RemoveAsync(root);
    }
}
