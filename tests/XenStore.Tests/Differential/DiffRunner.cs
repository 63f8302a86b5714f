using System.Net.Sockets;
using System.Text.RegularExpressions;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Differential;

/// <summary>
/// Plays a case against one daemon over raw sockets and writes down everything that comes
/// back: each reply (tagged with its step) and each watch event, per connection, in order.
/// </summary>
public static partial class DiffRunner
{
    /// <summary>req_ids of the barrier reads, far from the steps' own.</summary>
    private const uint BarrierBase = 0x7000_0000;

    public static List<string> Run(string socketPath, DiffCase diffCase, string prefix, string relative)
    {
        var transcript = new List<string>();
        var connections = new Dictionary<int, Connection>();
        var transactions = new Dictionary<int, uint>();
        try
        {
            for (var i = 0; i < diffCase.Steps.Length; i++)
            {
                var step = diffCase.Steps[i];
                if (!connections.TryGetValue(step.Connection, out var c))
                    connections[step.Connection] = c = new Connection(socketPath, step.Connection);
                var reqId = (uint)(i + 1);
                var txId = step.TxId ?? (step.InTransaction ? transactions.GetValueOrDefault(step.Connection) : 0);
                byte[] bytes;
                if (step.RawBytes is not null) bytes = step.RawBytes;
                else
                {
                    byte[] payload;
                    if (step.Payload is { Length: > 0 } exact) payload = exact;
                    else if (step.Payload is not null) payload = Wire.Encode(Expand(step.Args[0], prefix, relative).Replace('|', '\0'));
                    else if (step.Value is not null) payload = [.. Payloads.Strings(Expand(step.Args[0], prefix, relative)), .. step.Value];
                    else payload = Payloads.Strings(step.Args.Select(a => Expand(a, prefix, relative)).ToArray());
                    bytes = new Message(step.Type, reqId, txId, payload).ToBytes();
                }
                if (c.Closed)
                {
                    transcript.Add($"#{i} c{step.Connection} (closed before sending)");
                    continue;
                }
                c.Socket.Send(bytes);
                var reply = c.ReadUntil(reqId, transcript);
                if (reply is null) transcript.Add($"#{i} c{step.Connection} CLOSED");
                else
                {
                    transcript.Add($"#{i} c{step.Connection} {Describe(reply)}");
                    if (step.Type == MessageType.TransactionStart && reply.Type == MessageType.TransactionStart)
                        transactions[step.Connection] = uint.Parse(Wire.Decode(reply.Payload).TrimEnd('\0'));
                }
                foreach (var other in connections.Values) other.Sync(transcript, BarrierBase + (uint)i);
            }
        }
        finally
        {
            foreach (var c in connections.Values) c.Dispose();
        }
        return transcript;
    }

    public static string Expand(string text, string prefix, string relative) =>
        text.Replace("{p}", prefix, StringComparison.Ordinal).Replace("{r}", relative, StringComparison.Ordinal);

    private static string Describe(Message m)
    {
        var payload = Wire.Decode(m.Payload).Replace('\0', '|');
        // DIRECTORY_PART's generation counter is the daemon's own: only its presence is compared.
        if (m.Type == MessageType.DirectoryPart) payload = Generation().Replace(payload, "<gen>|");
        return $"{m.Type} tx={m.TxId}: {payload}";
    }

    [GeneratedRegex(@"^\d+\|")]
    private static partial Regex Generation();

    private sealed class Connection : IDisposable
    {
        private readonly FrameReader reader = new();
        private readonly int index;

        public Connection(string socketPath, int index)
        {
            this.index = index;
            Socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }

        public Socket Socket { get; } = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        public bool Closed { get; private set; }

        /// <summary>Reads until the reply to <paramref name="reqId"/>; events met on the way go to the transcript.</summary>
        public Message? ReadUntil(uint reqId, List<string> transcript)
        {
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (true)
            {
                var m = Next(deadline - DateTime.UtcNow);
                if (m is null) return null;
                if (m.Type == MessageType.WatchEvent)
                {
                    transcript.Add($"c{index} EVENT {Wire.Decode(m.Payload).Replace('\0', '|')}");
                    continue;
                }
                if (m.ReqId == reqId) return m;
                transcript.Add($"c{index} UNEXPECTED {Describe(m)} req={m.ReqId}");
            }
        }

        /// <summary>
        /// A barrier: a READ of "/" on this connection, read back with the events queued before
        /// it. A daemon queues the events a change causes before it handles the next request, so
        /// every event of the step just played is in the transcript once the barrier returns,
        /// without guessing how long to wait. The barrier's own reply is not recorded.
        /// </summary>
        public void Sync(List<string> transcript, uint barrierId)
        {
            if (Closed) return;
            try
            {
                Socket.Send(new Message(MessageType.Read, barrierId, 0, Payloads.Strings("/")).ToBytes());
            }
            catch (SocketException)
            {
                Closed = true;
                return;
            }
            ReadUntil(barrierId, transcript);
        }

        private Message? Next(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                if (reader.TryRead(out var message) == FrameStatus.Message) return message;
                var left = deadline - DateTime.UtcNow;
                if (Closed || left <= TimeSpan.Zero) return null;
                if (!Socket.Poll((int)left.TotalMicroseconds, SelectMode.SelectRead)) return null;
                int n;
                try { n = Socket.Receive(reader.GetWriteMemory().Span); }
                catch (SocketException) { n = 0; }
                if (n == 0)
                {
                    Closed = true;
                    return null;
                }
                reader.Commit(n);
            }
        }

        public void Dispose() => Socket.Dispose();
    }
}
