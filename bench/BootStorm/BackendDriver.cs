using System.Collections.Concurrent;
using XenStore.Client;

/// <summary>
/// dom0's netback and blkback as the Linux xenbus driver runs them: one connection, one watch
/// on the whole backend tree. A new device is probed (its frontend read, its features
/// written) and switched to InitWait; a watch on the frontend's state then waits for
/// Initialised, when the ring reference and event channel are read and the backend switches
/// to Connected.
/// </summary>
internal sealed class BackendDriver(XenStoreClient xs, Retries retries, StormFailure failure, MissedEvents missed)
{
    private const string Root = "/local/domain/0/backend";
    private readonly ConcurrentDictionary<Device, Task> devices = new();

    /// <summary>Sets the watch (before any device exists), then serves devices until <paramref name="stop"/>.</summary>
    public async Task<Task> StartAsync(CancellationToken stop)
    {
        var watch = await xs.WatchAsync(Root, cancellationToken: stop);
        return Task.WhenAll(ServeAllAsync(watch, stop), RescanAsync(stop));
    }

    /// <summary>Starts serving a device not seen before; false if it was known. Events and rescans both probe.</summary>
    private bool Probe(Device d, CancellationToken stop)
    {
        lock (devices)
        {
            if (devices.ContainsKey(d)) return false;
            devices[d] = Task.Run(() => failure.Watch(ServeAsync(d)), stop);
            return true;
        }
    }

    /// <summary>Lists the backend tree every poll interval, for devices whose events the daemon dropped.</summary>
    private async Task RescanAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(missed.Poll, stop);
                foreach (var type in await ListAsync(Root, stop))
                    foreach (var domid in await ListAsync($"{Root}/{type}", stop))
                        foreach (var id in await ListAsync($"{Root}/{type}/{domid}", stop))
                            if (Device.FromBackendPath($"{Root}/{type}/{domid}/{id}") is { } d && Probe(d, stop))
                                missed.Found();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken stop)
    {
        try
        {
            return await xs.ListAsync(path, stop);
        }
        catch (XenStoreException e) when (e.Code == XenStore.Protocol.XenStoreErrorCode.ENOENT)
        {
            return [];
        }
    }

    private async Task ServeAllAsync(XenStoreWatch watch, CancellationToken stop)
    {
        await using var _ = watch;
        try
        {
            await foreach (var e in watch.ReadAllAsync(stop))
                if (Device.FromBackendPath(e.Path) is { } d) Probe(d, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>The device tasks so far: a failed one fails the run.</summary>
    public IEnumerable<Task> DeviceTasks => devices.Values;

    /// <summary>Devices found so far, for the report of a storm that does not finish.</summary>
    public int DevicesFound => devices.Count;

    private async Task ServeAsync(Device d)
    {
        var frontend = await xs.ReadStringAsync($"{d.BackendPath}/frontend");
        await xs.ReadStringAsync($"{d.BackendPath}/frontend-id");
        await retries.RunAsync(xs, Role.Backend, "backend-features", async t =>
        {
            foreach (var (key, value) in d.BackendFeatures) await t.WriteAsync($"{d.BackendPath}/{key}", value);
        });
        await retries.SwitchStateAsync(xs, Role.Backend, d.BackendPath, XenbusState.InitWait);

        await using var other = await StateWatch.StartAsync(xs, $"{frontend}/state", missed);
        await other.WaitForAsync(XenbusState.Initialised);
        await xs.ReadStringAsync($"{frontend}/ring-ref");
        await xs.ReadStringAsync($"{frontend}/event-channel");
        await retries.SwitchStateAsync(xs, Role.Backend, d.BackendPath, XenbusState.Connected);
    }
}
