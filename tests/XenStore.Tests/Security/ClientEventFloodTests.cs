using XenStore.Client;
using XenStore.Daemon;
using XenStore.Transport;

namespace XenStore.Tests.Security;

/// <summary>XSA-349: a flood of watch events must not exhaust the client; its queue is bounded and coalesces.</summary>
public sealed class ClientEventFloodTests
{
    [Fact]
    public async Task Xsa349_AFloodOfEventsIsBoundedAndCoalesced()
    {
        using var daemon = new XenStoreDaemon();
        await using var writer = XenStoreClient.Create(new InProcessTransport(daemon));
        await using var watcher = XenStoreClient.Create(new InProcessTransport(daemon));
        watcher.WatchQueueCapacity = 16;
        await using var watch = await watcher.WatchAsync("/flood");
        // Nobody reads while 5,000 changes over 500 paths arrive.
        await Task.WhenAll(Enumerable.Range(0, 5000).Select(i => writer.WriteAsync($"/flood/p{i % 500}", i.ToString())));
        await writer.WriteAsync("/flood/last", "x");
        // Replies and events share one ordered stream: once this reply is in, every event is.
        await watcher.ReadAsync("/flood/last");
        Assert.True(watch.DroppedEvents >= 400, $"dropped {watch.DroppedEvents}");
        // What is left is at most the capacity, and the newest change is among it.
        var kept = new List<string>();
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try
        {
            await foreach (var e in watch.ReadAllAsync(quiet.Token)) kept.Add(e.Path);
        }
        catch (OperationCanceledException) { }
        Assert.InRange(kept.Count, 1, 16);
        Assert.Contains("/flood/last", kept);
    }
}
