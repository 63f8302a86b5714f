using XenStore.Client;

/// <summary>
/// What `xl create` does to xenstored for one domain, in libxl's order: the domain's nodes,
/// the build's nodes and INTRODUCE, each device in its own transaction, then (libxl's device
/// wait) each backend's InitWait and the hotplug script's report, then unpause; finally it
/// waits, by watch, until both ends of every device are Connected.
/// </summary>
internal sealed class Toolstack(XenStoreClient xs, Retries retries)
{
    /// <summary>Boots <paramref name="domid"/>; <paramref name="unpause"/> lets its guest run.</summary>
    public async Task BootAsync(uint domid, Action unpause)
    {
        await retries.RunAsync(xs, Role.Toolstack, "domain", t => Libxl.MakeDomainAsync(t, domid));
        await retries.RunAsync(xs, Role.Toolstack, "build", t => Libxl.BuildPostAsync(t, domid));
        await xs.IntroduceAsync(domid, Libxl.StoreFrame(domid), 1);

        var devices = Device.For(domid);
        var backendStates = new List<StateWatch>();
        foreach (var d in devices)
        {
            await retries.RunAsync(xs, Role.Toolstack, "device", t => Libxl.AddDeviceAsync(t, d));
            backendStates.Add(await StateWatch.StartAsync(xs, $"{d.BackendPath}/state", MissedEvents.None));
        }
        foreach (var (d, state) in devices.Zip(backendStates))
        {
            await state.WaitForAsync(XenbusState.InitWait);
            await xs.WriteAsync($"{d.BackendPath}/hotplug-status", "connected");
        }

        var frontendStates = new List<StateWatch>();
        foreach (var d in devices) frontendStates.Add(await StateWatch.StartAsync(xs, $"{d.FrontendPath}/state", MissedEvents.None));
        unpause();
        foreach (var state in backendStates.Concat(frontendStates))
        {
            await state.WaitForAsync(XenbusState.Connected);
            await state.DisposeAsync();
        }
    }
}
