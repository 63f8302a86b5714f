using System.Collections.Concurrent;
using System.Globalization;
using XenStore.Client;

/// <summary>
/// A guest's netfront and blkfront as the Linux xenbus driver runs them, on the guest's own
/// connection: a watch on the domain's device directory finds the devices; for each, a watch
/// on the backend's state waits for InitWait, then the ring reference, event channel and
/// Initialised are written in one transaction; when the backend is Connected, so is the
/// frontend.
/// </summary>
internal sealed class Frontend(XenStoreClient xs, uint domid, Retries retries, StormFailure failure)
{
    private readonly ConcurrentDictionary<Device, Task> devices = new();

    /// <summary>
    /// The guest boots: as xenbus_probe does, it sets the watch, then lists the devices already
    /// there, and serves each device it finds until <paramref name="stop"/>.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var root = $"{Libxl.DomainPath(domid)}/device";
        await using var watch = await xs.WatchAsync(root, cancellationToken: stop);
        foreach (var type in await xs.ListAsync(root, stop))
        {
            if (!Device.IsServedType(type)) continue;
            foreach (var id in await xs.ListAsync($"{root}/{type}", stop))
                Probe($"{root}/{type}/{id}", stop);
        }
        try
        {
            await foreach (var e in watch.ReadAllAsync(stop)) Probe(e.Path, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>The device tasks so far: a failed one fails the run.</summary>
    public IEnumerable<Task> DeviceTasks => devices.Values;

    /// <summary>Starts connecting the device <paramref name="path"/> is at or below, unless that has begun (only the run's one loop probes).</summary>
    private void Probe(string path, CancellationToken stop)
    {
        if (Device.FromFrontendPath(domid, path) is { } d && !devices.ContainsKey(d))
            devices[d] = Task.Run(() => failure.Watch(ConnectAsync(d)), stop);
    }

    private async Task ConnectAsync(Device d)
    {
        var backend = await xs.ReadStringAsync($"{d.FrontendPath}/backend");
        await using var other = await StateWatch.StartAsync(xs, $"{backend}/state", MissedEvents.None);
        await other.WaitForAsync(XenbusState.InitWait);
        await retries.RunAsync(xs, Role.Frontend, "frontend-init", async t =>
        {
            await t.WriteAsync($"{d.FrontendPath}/ring-ref", (8 + d.Devid % 7).ToString(CultureInfo.InvariantCulture));
            await t.WriteAsync($"{d.FrontendPath}/event-channel", "17");
            await t.WriteAsync($"{d.FrontendPath}/state", XenbusState.Initialised);
        });
        await other.WaitForAsync(XenbusState.Connected);
        await retries.SwitchStateAsync(xs, Role.Frontend, d.FrontendPath, XenbusState.Connected);
    }
}
