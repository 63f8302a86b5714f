using System.Text.Json.Nodes;
using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Ring;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Ring;

/// <summary>
/// A daemon with the simulated hypervisor, dom0 in-process, and helpers to bring up guests
/// in other processes: create the ring, make the usual home nodes, introduce.
/// </summary>
public sealed class GuestSession : IDisposable
{
    private readonly List<RingGuestProcess> guests = [];

    public GuestSession(QuotaSettings? quotas = null)
    {
        SimDirectory = TestEnvironment.NewRunDir("sim");
        Daemon = new XenStoreDaemon(new DaemonOptions { RingPlatform = new SimulatedXen(SimDirectory), Quotas = quotas ?? new QuotaSettings() });
        Dom0 = new InProcessClient(Daemon);
    }

    public string SimDirectory { get; }
    public XenStoreDaemon Daemon { get; }
    public InProcessClient Dom0 { get; }

    /// <summary>Starts guest D, introduces it, and gives it a home as a toolstack would (readable, with a writable data/).</summary>
    public RingGuestProcess StartGuest(uint domid)
    {
        var guest = RingGuestProcess.Start(SimDirectory, domid);
        guests.Add(guest);
        Dom0.Ok(Dom0.Send(MessageType.Introduce, domid.ToString(), "1", "1"));
        PrepareHome(domid);
        return guest;
    }

    /// <summary>/local/domain/D readable by D; /local/domain/D/data owned by D.</summary>
    public void PrepareHome(uint domid)
    {
        var home = XenStorePath.DomainHome(domid);
        Dom0.Ok(Dom0.Send(MessageType.Mkdir, home + "/data"));
        Dom0.Ok(Dom0.Send(MessageType.SetPerms, home, "n0", $"r{domid}"));
        Dom0.Ok(Dom0.Send(MessageType.SetPerms, home + "/data", $"n{domid}"));
    }

    public void Track(RingGuestProcess guest) => guests.Add(guest);

    public void Dispose()
    {
        foreach (var g in guests) g.Dispose();
        Daemon.Dispose();
        try { Directory.Delete(SimDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Request helpers over the guest process's JSON commands.</summary>
public static class GuestCommands
{
    private static uint nextReq = 1000;

    /// <summary>Sends a request and returns (reply type, payload text with NULs as '|'), skipping watch events it collects.</summary>
    public static (MessageType Type, string Payload) Request(this RingGuestProcess guest, MessageType type, string[] args, string raw = "", uint tx = 0, List<string>? events = null)
    {
        var req = Interlocked.Increment(ref nextReq);
        guest.Command(new { op = "send", type = (uint)type, req, tx, args, raw = Convert.ToHexString(Wire.Encode(raw)) });
        while (true)
        {
            var m = guest.Command(new { op = "recv", timeout = 10 });
            Assert.False(m.ContainsKey("timeout"), $"no reply to {type} {string.Join(",", args)}");
            var (t, text) = Decode(m);
            if (t == MessageType.WatchEvent)
            {
                events?.Add(text);
                continue;
            }
            Assert.Equal(req, m["req"]!.GetValue<uint>());
            Assert.Equal(tx, m["tx"]!.GetValue<uint>());
            return (t, text);
        }
    }

    /// <summary>The next message (reply or event), or null after the timeout.</summary>
    public static (MessageType Type, string Payload)? Next(this RingGuestProcess guest, double timeoutSeconds = 5)
    {
        var m = guest.Command(new { op = "recv", timeout = timeoutSeconds });
        return m.ContainsKey("timeout") ? null : Decode(m);
    }

    public static JsonObject State(this RingGuestProcess guest) => guest.Command(new { op = "state" });

    private static (MessageType, string) Decode(JsonObject m) =>
        ((MessageType)m["type"]!.GetValue<uint>(), Wire.Decode(Convert.FromHexString(m["payload"]!.GetValue<string>())).Replace('\0', '|'));
}
