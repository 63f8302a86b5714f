using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// Arbitrary bytes as one client's stream into a fresh hosted daemon. Byte 0: bit 0 clear
/// is a privileged dom0 client, set is guest domain 5 (introduced first, with its home, so
/// the permission paths are reached); bits 1..3 pick the piece size the bytes arrive in.
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
        var data = input[1..];

        using var daemon = new XenStoreDaemon();
        var internalErrors = new List<string>();
        daemon.Log += line =>
        {
            if (line.StartsWith("internal error", StringComparison.Ordinal)) internalErrors.Add(line);
        };
        var probe = new Probe(daemon);
        if (guest) Introduce(probe);

        var client = guest ? daemon.Connect(GuestDomain, privileged: false, "fuzz guest") : daemon.Connect(0, privileged: true, "fuzz dom0");
        var checker = new ReplyChecker();
        var reader = new FrameReader();
        var requests = new FrameReader();
        foreach (var (offset, length) in Chunking.Pieces(data.Length, Chunking.Size(input[0])))
        {
            var piece = data.Slice(offset, length);
            reader.Append(piece);
            // The same bytes framed on the side tell which requests the daemon must answer.
            requests.Append(piece);
            while (requests.TryRead(out var request) == FrameStatus.Message) checker.Expect(request!);
            FrameStatus status;
            try
            {
                status = client.ProcessAvailable(reader);
            }
            catch (Exception ex)
            {
                throw new FuzzInvariantException("an exception escaped the daemon", ex);
            }
            checker.Drain(client);
            Check.That(internalErrors.Count == 0, "no request hits an internal error: " + string.Join('\n', internalErrors));
            // The transports close the connection here: the stream cannot be trusted any more.
            if (status == FrameStatus.Oversize) break;
        }
        Check.That(checker.Unanswered == 0, "every whole request is answered");
        client.Close();

        StoreConsistency.Check(daemon, probe);
        Check.That(probe.Write("/fuzz-probe", "alive").Type == MessageType.Write, "a fresh dom0 connection may still WRITE");
        Check.That(Wire.Decode(probe.Must(MessageType.Read, "/fuzz-probe").Payload) == "alive", "a fresh READ sees the fresh WRITE");
        Check.That(internalErrors.Count == 0, "no request hits an internal error: " + string.Join('\n', internalErrors));
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
