using System.Diagnostics;
using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace XenStore.Tests.Security;

/// <summary>
/// Issue 12: no connection holds the daemon's lock for longer than a bounded slice while
/// others wait. One connection hands the daemon a long run of requests at once (what a ring
/// chunk or a socket read holds, here made long enough to measure); another's READ must get
/// in between its slices instead of waiting for the whole run.
/// </summary>
[Collection(nameof(MeasuredAloneCollection))]
public sealed class LockFairnessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ALongRunOfOneConnectionsRequestsLetsAnotherConnectionIn()
    {
        // As a host does before it serves. In a cold process the first run compiled the request
        // path while it held the lock, and a READ sent then waited 0.4-0.5 s, for the compiler,
        // not for the slices measured here; the run itself now lasts about as long, so too few
        // READs were left in it to measure.
        await RequestPathWarmUp.RunAsync();
        using var daemon = new XenStoreDaemon(new DaemonOptions());
        var probe = new InProcessClient(daemon);
        probe.Ok(probe.Write("/probe", "x"));
        var flooder = daemon.Connect(0, privileged: true, "flooder");
        var run = new FrameReader();
        for (var i = 0; i < 200_000; i++)
            run.Append(new Message(MessageType.Write, (uint)i, 0, [.. Payloads.Strings("/flood"), .. Wire.Encode("v")]).ToBytes());

        var started = new ManualResetEventSlim();
        var runTime = Stopwatch.StartNew();
        var flood = new Thread(() =>
        {
            started.Set();
            flooder.ProcessAvailable(run);
            runTime.Stop();
        });
        flood.Start();
        started.Wait();
        while (probe.Send(MessageType.Read, "/flood").Type == MessageType.Error) Thread.Sleep(0);

        var waits = new List<double>();
        while (flood.IsAlive && waits.Count < 50)
        {
            var sw = Stopwatch.StartNew();
            probe.Ok(probe.Send(MessageType.Read, "/probe"));
            waits.Add(sw.Elapsed.TotalMilliseconds);
        }
        flood.Join();
        var median = waits.Order().ElementAt(waits.Count / 2);
        var what = $"run of 200,000 WRITEs took {runTime.Elapsed.TotalMilliseconds:F0} ms; the other connection's {waits.Count} READs during it waited a median of {median:F2} ms";
        output.WriteLine(what);
        // Without slices the first READ waits for the whole run, and no second one fits in it.
        Assert.True(runTime.Elapsed.TotalMilliseconds > 100, what);
        Assert.True(waits.Count >= 10, what);
        Assert.True(median < 20, what);
    }
}
