using System.Collections.Concurrent;
using System.Diagnostics;
using XenStore.Client;
using XenStore.Protocol;

/// <summary>What one boot storm measured.</summary>
/// <remarks>A storm that did not complete reports what was done until the timeout.</remarks>
internal sealed record StormResult(bool Completed, double Seconds, Retries Retries, long Requests, long MissedEvents, double DaemonCpuSeconds, double ClientCpuSeconds);

/// <summary>
/// One boot storm on one daemon: N domains booted at once, each by its own toolstack
/// connection (one `xl create` each), served by one backend driver connection, each guest on
/// its own connection. The clock runs from the first toolstack request until every device of
/// every domain is Connected at both ends; connecting and tearing down are outside it.
/// </summary>
internal static class Storm
{
    public static async Task<StormResult> RunAsync(Target target, int domains, uint firstDomid, TimeSpan timeout, TimeSpan poll)
    {
        var domids = Enumerable.Range(0, domains).Select(i => firstDomid + (uint)i).ToArray();
        await using var admin = await target.ConnectDom0Async();
        await PrepareDom0Async(admin);

        var toolstacks = await Task.WhenAll(domids.Select(_ => target.ConnectDom0Async()));
        var guests = await Task.WhenAll(domids.Select(target.ConnectGuestAsync));
        // Watch queues large enough that no event of the storm is dropped (the default coalesces at 1024).
        foreach (var g in guests) g.WatchQueueCapacity = 1 << 16;
        await using var backendXs = await target.ConnectDom0Async();
        backendXs.WatchQueueCapacity = 1 << 20;

        var retries = new Retries();
        var failure = new StormFailure();
        var missed = new MissedEvents(poll);
        using var stop = new CancellationTokenSource();
        var backend = new BackendDriver(backendXs, retries, failure, missed);
        var backendLoop = await backend.StartAsync(stop.Token);
        var frontends = new ConcurrentBag<(Frontend Frontend, Task Loop)>();

        var daemonCpu = DaemonCpu.Nanoseconds(target.Pid);
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var requests = CountingTransport.Sent;
        var clock = Stopwatch.StartNew();
        var boots = Task.WhenAll(domids.Select((domid, i) => failure.Watch(Task.Run(() => new Toolstack(toolstacks[i], retries).BootAsync(domid, () =>
        {
            var f = new Frontend(guests[i], domid, retries, failure);
            frontends.Add((f, Task.Run(() => f.RunAsync(stop.Token))));
        })))));
        var first = await Task.WhenAny(boots, failure.Failed, Task.Delay(timeout));
        if (first == failure.Failed) await failure.Failed;
        var seconds = clock.Elapsed.TotalSeconds;
        var daemonSeconds = (DaemonCpu.Nanoseconds(target.Pid) - daemonCpu) / 1e9;
        var clientSeconds = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalSeconds;
        requests = CountingTransport.Sent - requests;
        if (first != boots)
        {
            Console.Error.WriteLine($"boot-storm: {target.Name}: {domains} domains not all Connected after {timeout.TotalSeconds:F0} s: " +
                $"the backend driver found {backend.DevicesFound} of {3 * domains} devices, {frontends.Count} guests were unpaused.");
            // Closing every connection of the storm stops its work, so it cannot load the next storm's daemon.
            await stop.CancelAsync();
            foreach (var c in toolstacks.Concat(guests)) await c.DisposeAsync();
            return new(false, seconds, retries, requests, missed.Count, daemonSeconds, clientSeconds);
        }

        // Every device task has finished (the toolstack saw both ends Connected); a failure is surfaced here.
        await Task.WhenAll(backend.DeviceTasks.Concat(frontends.SelectMany(f => f.Frontend.DeviceTasks)));
        await stop.CancelAsync();
        await Task.WhenAll(frontends.Select(f => f.Loop).Append(backendLoop));
        await TearDownAsync(admin, domids, toolstacks, guests);
        return new(true, seconds, retries, requests, missed.Count, daemonSeconds, clientSeconds);
    }

    /// <summary>What xen-init-dom0 leaves on a Xen host before any guest: dom0's own home.</summary>
    private static async Task PrepareDom0Async(XenStoreClient admin)
    {
        await admin.WriteAsync("/local/domain/0/domid", "0");
        await admin.WriteAsync("/local/domain/0/name", "Domain-0");
    }

    /// <summary>
    /// As `xl destroy` leaves the store: every domain released and its nodes gone, so the next
    /// storm starts from the same tree.
    /// </summary>
    private static async Task TearDownAsync(XenStoreClient admin, uint[] domids, XenStoreClient[] toolstacks, XenStoreClient[] guests)
    {
        foreach (var t in toolstacks) await t.DisposeAsync();
        await Task.WhenAll(domids.Select(d => admin.ReleaseAsync(d)));
        foreach (var g in guests) await g.DisposeAsync();
        var removals = domids.SelectMany(d => new[] { Libxl.DomainPath(d), Libxl.VmPath(d), $"/libxl/{d}" })
            .Append("/local/domain/0/backend");
        await Task.WhenAll(removals.Select(p => RemoveAsync(admin, p)));
    }

    private static async Task RemoveAsync(XenStoreClient admin, string path)
    {
        try
        {
            await admin.RemoveAsync(path);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
        {
        }
    }
}
