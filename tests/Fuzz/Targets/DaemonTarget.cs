using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// Arbitrary bytes as client streams into a fresh hosted daemon. Byte 0 sets the stage:
/// bit 0 clear is a privileged dom0 client, set is guest domain 5 (introduced first, with its
/// home, so the permission paths are reached); bits 1..3 pick the piece size the bytes arrive
/// in; bit 4 makes two clients, dom0 and the guest, each whole request going to the one its
/// request id's low bit names (so watches, transactions and quotas meet across them).
/// Afterwards the daemon must be whole: every reply well formed, nothing thrown inside it
/// (the dispatcher turns a bug into EINVAL, so its log is watched), the store consistent,
/// and a fresh dom0 connection served.
/// </summary>
internal static class DaemonTarget
{
    public const uint GuestDomain = 5;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        var guest = (input[0] & 1) != 0;
        var twoClients = (input[0] & 0x10) != 0;
        var data = input[1..];

        using var daemon = new XenStoreDaemon();
        var internalErrors = new List<InternalError>();
        daemon.InternalErrorRaised += internalErrors.Add;
        void NoInternalError() => Check.That(internalErrors.Count == 0,
            "no request hits an internal error: " + string.Join('\n', internalErrors.Select(e => $"{e.Connection} {e.Request}: {e.Exception}")));

        var probe = new Probe(daemon);
        if (guest || twoClients) Introduce(probe);
        FuzzClient Dom0() => new(daemon.Connect(0, privileged: true, "fuzz dom0"));
        FuzzClient Guest() => new(daemon.Connect(GuestDomain, privileged: false, "fuzz guest"));
        FuzzClient[] clients = twoClients ? [Dom0(), Guest()] : [guest ? Guest() : Dom0()];

        foreach (var (client, bytes) in Deliveries(clients, data, input[0]))
        {
            var open = client.Feed(bytes.Span);
            foreach (var c in clients) c.Drain();
            NoInternalError();
            if (!open) break;
        }
        foreach (var c in clients)
        {
            Check.That(c.Checker.Unanswered == 0, "every whole request is answered");
            c.Connection.Close();
        }

        StoreConsistency.Check(daemon, probe);
        Check.That(probe.Write("/fuzz-probe", "alive").Type == MessageType.Write, "a fresh dom0 connection may still WRITE");
        Check.That(Wire.Decode(probe.Must(MessageType.Read, "/fuzz-probe").Payload) == "alive", "a fresh READ sees the fresh WRITE");
        NoInternalError();
    }

    /// <summary>
    /// Which bytes go to which client, in order: one client gets the stream in pieces; two
    /// clients get whole requests, routed by request id (a stream that stops framing ends there).
    /// </summary>
    private static List<(FuzzClient Client, ReadOnlyMemory<byte> Bytes)> Deliveries(FuzzClient[] clients, ReadOnlySpan<byte> data, byte control)
    {
        var list = new List<(FuzzClient Client, ReadOnlyMemory<byte> Bytes)>();
        if (clients.Length == 1)
        {
            var bytes = data.ToArray();
            foreach (var (offset, length) in Chunking.Pieces(bytes.Length, Chunking.Size(control)))
                list.Add((clients[0], bytes.AsMemory(offset, length)));
            return list;
        }
        var splitter = new FrameReader();
        splitter.Append(data);
        while (splitter.TryRead(out var request) == FrameStatus.Message)
            list.Add((clients[request!.ReqId & 1], request.ToBytes()));
        return list;
    }

    /// <summary>What a toolstack does for a new guest: introduce it and give it its home.</summary>
    private static void Introduce(Probe probe)
    {
        var domid = GuestDomain.ToString(System.Globalization.CultureInfo.InvariantCulture);
        probe.Must(MessageType.Introduce, domid, "1", "1");
        var home = XenStorePath.DomainHome(GuestDomain);
        probe.Must(MessageType.Mkdir, home);
        probe.Must(MessageType.SetPerms, home, "n" + domid, "r0");
    }
}
