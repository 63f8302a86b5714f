using System.Reflection;
using XenStore.Client;
using XenStore.Daemon;
using XenStore.Transport;

namespace XenStore.Tests.Client;

/// <summary>Reconnecting leaves nothing behind: no connection for a disposed client, no token source of the old one.</summary>
public sealed class ReconnectDisposalTests
{
    [Fact]
    public async Task ReconnectingADisposedClientThrowsAndOpensNothing()
    {
        using var daemon = new XenStoreDaemon();
        var opened = 0;
        var client = XenStoreClient.Create(new InProcessTransport(daemon), _ =>
        {
            Interlocked.Increment(ref opened);
            return ValueTask.FromResult<IXenStoreTransport>(new InProcessTransport(daemon));
        });
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ReconnectAsync());
        Assert.Equal(0, opened);
        Assert.Equal(0, daemon.ConnectionCount);
    }

    [Fact]
    public async Task ReconnectingDisposesTheOldConnectionsTokenSource()
    {
        using var daemon = new XenStoreDaemon();
        await using var client = XenStoreClient.Create(new InProcessTransport(daemon),
            _ => ValueTask.FromResult<IXenStoreTransport>(new InProcessTransport(daemon)));
        var running = typeof(XenStoreClient).GetField("running", BindingFlags.NonPublic | BindingFlags.Instance)!;
        var first = (CancellationTokenSource)running.GetValue(client)!;

        await client.ReconnectAsync();

        Assert.NotSame(first, running.GetValue(client));
        // A disposed source refuses its token.
        Assert.Throws<ObjectDisposedException>(() => first.Token);
        Assert.Equal("Domain-0", await client.ReadStringAsync("/local/domain/0/name"));
    }
}
