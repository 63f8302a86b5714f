using System.Globalization;
using XenStore.Client;
using XenStore.Protocol;

/// <summary>
/// The nodes libxl (Xen 4.17) writes for a new domain and its devices, request by request as
/// it sends them: libxl__domain_make, libxl__build_post and libxl__device_generic_add. Each
/// method is the body of one transaction.
/// </summary>
internal static class Libxl
{
    /// <summary>The domain's UUID, made from its id so every run writes the same /vm paths.</summary>
    public static string Uuid(uint domid) => string.Create(CultureInfo.InvariantCulture, $"00000000-b007-5703-0000-{domid:x12}");

    public static string DomainPath(uint domid) => $"/local/domain/{domid}";
    public static string VmPath(uint domid) => $"/vm/{Uuid(domid)}";

    /// <summary>libxl__domain_make: the domain's home and /vm entry, with their permissions.</summary>
    public static async Task MakeDomainAsync(XenStoreTransaction t, uint domid)
    {
        var dom = DomainPath(domid);
        var vm = VmPath(domid);
        // dom0 owns, the guest reads (roperm); the guest owns (rwperm).
        var ro = new PermissionList([new(0, PermissionAccess.None), new(domid, PermissionAccess.Read)]);
        var rw = new PermissionList([new(domid, PermissionAccess.None)]);
        await RemoveIgnoringMissingAsync(t, dom);
        await MakeNodeAsync(t, dom, ro);
        await RemoveIgnoringMissingAsync(t, vm);
        await MakeNodeAsync(t, vm, ro);
        await t.WriteAsync($"{dom}/vm", vm);
        await MakeNodeAsync(t, $"{dom}/device", ro);
        await MakeNodeAsync(t, $"{dom}/control", ro);
        foreach (var n in new[] { "shutdown", "feature-poweroff", "feature-reboot", "feature-suspend", "sysrq" })
            await MakeNodeAsync(t, $"{dom}/control/{n}", rw);
        await MakeNodeAsync(t, $"{dom}/device/suspend/event-channel", rw);
        foreach (var n in new[] { "data", "drivers", "feature", "attr", "error" })
            await MakeNodeAsync(t, $"{dom}/{n}", rw);
        await t.WriteAsync($"{vm}/uuid", Uuid(domid));
        await t.WriteAsync($"{vm}/name", Name(domid));
        await t.WriteAsync($"{dom}/name", Name(domid));
        await t.WriteAsync($"{dom}/control/platform-feature-multiprocessor-suspend", "1");
        await t.WriteAsync($"{dom}/control/platform-feature-xs_reset_watches", "1");
        await t.WriteAsync($"/libxl/{domid}/type", "pvh");
        await t.WriteAsync($"/libxl/{domid}/dm-version", "qemu_xen");
    }

    /// <summary>libxl__build_post: memory targets, the store's page and port, the vcpus; then INTRODUCE follows.</summary>
    public static async Task BuildPostAsync(XenStoreTransaction t, uint domid)
    {
        var dom = DomainPath(domid);
        var entries = new (string, string)[]
        {
            ("memory/static-max", "1048576"), ("memory/target", "1048576"), ("memory/videoram", "0"),
            ("domid", domid.ToString(CultureInfo.InvariantCulture)), ("store/port", "1"), ("store/ring-ref", StoreFrame(domid).ToString(CultureInfo.InvariantCulture)),
            ("cpu/0/availability", "online"), ("cpu/1/availability", "online"),
        };
        foreach (var (key, value) in entries) await t.WriteAsync($"{dom}/{key}", value);
        await t.WriteAsync($"{VmPath(domid)}/start_time", "1764590400.00");
        await t.WriteAsync($"{VmPath(domid)}/image/ostype", "pvh");
    }

    /// <summary>The store page's frame number given to INTRODUCE (recorded, not used, by the daemons here).</summary>
    public static ulong StoreFrame(uint domid) => 0x100000 + domid;

    /// <summary>libxl__device_generic_add: the frontend, the backend and libxl's record of one device.</summary>
    public static async Task AddDeviceAsync(XenStoreTransaction t, Device d)
    {
        // The frontend is the guest's, the backend domain may read it; the backend the other way round.
        var frontendPerms = new PermissionList([new(d.Domid, PermissionAccess.None), new(0, PermissionAccess.Read)]);
        var backendPerms = new PermissionList([new(0, PermissionAccess.None), new(d.Domid, PermissionAccess.Read)]);
        await RemoveIgnoringMissingAsync(t, d.FrontendPath);
        await RemoveIgnoringMissingAsync(t, d.BackendPath);
        await t.MkdirAsync(d.FrontendPath);
        await t.SetPermissionsAsync(d.FrontendPath, frontendPerms);
        await t.WriteAsync($"{d.FrontendPath}/backend", d.BackendPath);
        foreach (var (key, value) in d.FrontendEntries)
        {
            // libxl__xs_writev_perms: every key gets the frontend's permissions explicitly.
            await t.WriteAsync($"{d.FrontendPath}/{key}", value);
            await t.SetPermissionsAsync($"{d.FrontendPath}/{key}", frontendPerms);
        }
        await t.MkdirAsync(d.BackendPath);
        await t.SetPermissionsAsync(d.BackendPath, backendPerms);
        await t.WriteAsync($"{d.BackendPath}/frontend", d.FrontendPath);
        foreach (var (key, value) in d.BackendEntries) await t.WriteAsync($"{d.BackendPath}/{key}", value);
        await t.WriteAsync($"{d.LibxlPath}/frontend", d.FrontendPath);
        await t.WriteAsync($"{d.LibxlPath}/backend", d.BackendPath);
    }

    private static string Name(uint domid) => string.Create(CultureInfo.InvariantCulture, $"guest{domid}");

    /// <summary>libxl__xs_mknod: MKDIR, then SET_PERMS.</summary>
    private static async Task MakeNodeAsync(XenStoreTransaction t, string path, PermissionList perms)
    {
        await t.MkdirAsync(path);
        await t.SetPermissionsAsync(path, perms);
    }

    /// <summary>libxl removes before it creates and ignores the answer (nothing is there on a first boot).</summary>
    private static async Task RemoveIgnoringMissingAsync(XenStoreTransaction t, string path)
    {
        try
        {
            await t.RemoveAsync(path);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
        {
        }
    }
}
