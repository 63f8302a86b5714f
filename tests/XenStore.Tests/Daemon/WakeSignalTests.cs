using XenStore.Daemon;

namespace XenStore.Tests.Daemon;

/// <summary>The ring loop's wake-up: no wake lost, however it falls against the wait.</summary>
public sealed class WakeSignalTests
{
    [Fact]
    public async Task AWakeBeforeTheWaitIsKeptOnceHoweverManyCame()
    {
        var signal = new WakeSignal();
        signal.Wake();
        signal.Wake();
        Assert.True(signal.WaitAsync().AsTask().IsCompleted);
        var next = signal.WaitAsync().AsTask();
        Assert.False(next.IsCompleted);
        signal.Wake();
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task EveryPieceOfWorkIsSeenWhenWakesRaceTheWaits()
    {
        // Two threads post work and wake; the loop takes what is posted, then waits. A lost
        // wake would leave work posted and the loop waiting: the wait would time out.
        const int PerThread = 20_000;
        var signal = new WakeSignal();
        var posted = 0;
        var taken = 0;
        var loop = Task.Run(async () =>
        {
            while (Volatile.Read(ref taken) < 2 * PerThread)
            {
                Volatile.Write(ref taken, Volatile.Read(ref posted));
                if (taken == 2 * PerThread) break;
                await signal.WaitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            }
        });
        var posters = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                Interlocked.Increment(ref posted);
                signal.Wake();
            }
        })).ToArray();
        await Task.WhenAll(posters);
        await loop.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2 * PerThread, taken);
    }
}
