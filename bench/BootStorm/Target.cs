using XenStore.Client;
using XenStore.Transport;

/// <summary>
/// A daemon under test: its socket, its process (for CPU), and, when the guests run on rings,
/// the simulated hypervisor's directory. Without one, a guest is a socket connection: the
/// reference daemons cannot serve a guest's ring here, and every socket connection is dom0,
/// so such a guest writes its frontend by absolute path with dom0's privilege.
/// </summary>
internal sealed record Target(string Name, string Socket, int Pid, string? SimXen)
{
    /// <summary>NAME=SOCKET,PID or NAME=SOCKET,PID,SIMXENDIR.</summary>
    public static Target Parse(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var parts = text[(eq + 1)..].Split(',');
        if (eq <= 0 || parts.Length is < 2 or > 3) throw new ArgumentException($"A target is NAME=SOCKET,PID[,SIMXENDIR], not '{text}'.");
        return new(text[..eq], parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts.Length == 3 ? parts[2] : null);
    }

    public string GuestTransport => SimXen is null ? "socket" : "ring";

    public async Task<XenStoreClient> ConnectDom0Async() =>
        XenStoreClient.Create(new CountingTransport(await UnixSocketTransport.ConnectAsync(Socket)));

    /// <summary>Guest <paramref name="domid"/>'s connection: its ring page exists from now on, so it can be introduced.</summary>
    public async Task<XenStoreClient> ConnectGuestAsync(uint domid) =>
        SimXen is null ? await ConnectDom0Async() : XenStoreClient.Create(new CountingTransport(RingTransport.CreateSimulatedGuest(SimXen, domid)));
}
