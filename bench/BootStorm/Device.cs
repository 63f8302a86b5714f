using System.Globalization;

/// <summary>
/// One device of a domain, where libxl puts its two ends: the backend under the backend
/// domain's (dom0's) home, the frontend under the guest's, and libxl's own record.
/// </summary>
internal sealed record Device(uint Domid, string Type, int Devid)
{
    /// <summary>Every domain gets one vif and two vbds (xvda, xvdb).</summary>
    public static IReadOnlyList<Device> For(uint domid) =>
        [new(domid, "vif", 0), new(domid, "vbd", 51712), new(domid, "vbd", 51728)];

    /// <summary>The kinds of device the backend driver and the frontends serve.</summary>
    public static bool IsServedType(string type) => type is "vif" or "vbd";

    private string Id => Devid.ToString(CultureInfo.InvariantCulture);

    public string BackendPath => $"/local/domain/0/backend/{Type}/{Domid}/{Id}";
    public string FrontendPath => $"/local/domain/{Domid}/device/{Type}/{Id}";
    public string LibxlPath => $"/libxl/{Domid}/device/{Type}/{Id}";

    /// <summary>The keys libxl writes into the frontend directory (each with the frontend's permissions).</summary>
    public IReadOnlyList<(string Key, string Value)> FrontendEntries => Type == "vif"
        ? [("backend-id", "0"), ("state", XenbusState.Initialising), ("handle", Id), ("mac", Mac)]
        : [("backend-id", "0"), ("state", XenbusState.Initialising), ("virtual-device", Id), ("device-type", "disk"), ("trusted", "1")];

    /// <summary>The keys libxl writes into the backend directory (inheriting the backend's permissions).</summary>
    public IReadOnlyList<(string Key, string Value)> BackendEntries => Type == "vif"
        ? [("frontend-id", Did), ("online", "1"), ("state", XenbusState.Initialising), ("script", "/etc/xen/scripts/vif-bridge"),
           ("mac", Mac), ("bridge", "xenbr0"), ("handle", Id), ("type", "vif")]
        : [("frontend-id", Did), ("online", "1"), ("removable", "0"), ("bootable", "1"), ("state", XenbusState.Initialising),
           ("dev", Devid == 51712 ? "xvda" : "xvdb"), ("type", "phy"), ("mode", "w"), ("device-type", "disk"),
           ("discard-enable", "1"), ("params", $"/dev/vg/guest{Did}-{Id}")];

    /// <summary>What a backend driver announces on probe, before InitWait (netback's and blkback's feature keys, abridged).</summary>
    public IReadOnlyList<(string Key, string Value)> BackendFeatures => Type == "vif"
        ? [("feature-sg", "1"), ("feature-gso-tcpv4", "1"), ("feature-rx-copy", "1"), ("multi-queue-max-queues", "2")]
        : [("feature-flush-cache", "1"), ("feature-discard", "1"), ("feature-persistent", "1"), ("max-ring-page-order", "4")];

    private string Did => Domid.ToString(CultureInfo.InvariantCulture);
    private string Mac => string.Create(CultureInfo.InvariantCulture, $"00:16:3e:{(Domid >> 8) & 0xff:x2}:{Domid & 0xff:x2}:{Devid & 0xff:x2}");

    /// <summary>The device named by a path at or below <c>/local/domain/0/backend/TYPE/D/DEVID</c>, or null.</summary>
    public static Device? FromBackendPath(string path) => Parse(path, "/local/domain/0/backend/", typeFirst: true);

    /// <summary>The device named by a path at or below <c>/local/domain/D/device/TYPE/DEVID</c> of domain <paramref name="domid"/>, or null.</summary>
    public static Device? FromFrontendPath(uint domid, string path) =>
        Parse(path, $"/local/domain/{domid}/device/", typeFirst: false) is { } d ? d with { Domid = domid } : null;

    private static Device? Parse(string path, string prefix, bool typeFirst)
    {
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var parts = path[prefix.Length..].Split('/');
        // Backend: TYPE/D/DEVID; frontend: TYPE/DEVID.
        var need = typeFirst ? 3 : 2;
        if (parts.Length < need || !IsServedType(parts[0])) return null;
        var domid = 0u;
        if (typeFirst && !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out domid)) return null;
        return int.TryParse(parts[need - 1], NumberStyles.None, CultureInfo.InvariantCulture, out var devid)
            ? new Device(domid, parts[0], devid)
            : null;
    }
}
