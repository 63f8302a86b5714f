using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// One client of the daemon: a socket, a domain's ring, or an in-process caller. It owns its
/// transactions and queued output; its watches live in the daemon's registry.
/// </summary>
public sealed class DaemonConnection
{
    private readonly XenStoreDaemon daemon;
    private uint nextTransactionId = 1;

    /// <summary>
    /// Queued output at which a connection is cut off: it is not reading at all, and the
    /// daemon will not hold more for it. Guests reach their memory quota long before this.
    /// </summary>
    public const int OutputCutOff = 64 << 20;

    internal DaemonConnection(XenStoreDaemon daemon, uint domainId, bool privileged, long sequence, string description, OutputBuffer output)
    {
        this.daemon = daemon;
        DomainId = domainId;
        Privileged = privileged;
        Sequence = sequence;
        Description = description;
        Output = output;
    }

    /// <summary>The domain whose requests this connection carries (0 for sockets).</summary>
    public uint DomainId { get; }

    /// <summary>Privileged connections bypass permissions and quotas (sockets, dom0).</summary>
    public bool Privileged { get; }

    /// <summary>For logs: "socket 3", "domain 7 ring".</summary>
    public string Description { get; }

    /// <summary>Called (outside the daemon lock) when output was queued while the transport was idle.</summary>
    public Action<DaemonConnection>? OutputReady { get; set; }

    /// <summary>Bytes queued for the client and not yet taken.</summary>
    public int PendingOutput => Output.Pending;

    /// <summary>Replies and events queued and not yet wholly taken by the transport.</summary>
    public int PendingMessages => Output.PendingMessages;

    /// <summary>True once closed; requests are no longer processed.</summary>
    public bool IsClosed { get; internal set; }

    /// <summary>Watch events not queued because the domain was at its memory quota.</summary>
    public long DroppedEvents { get; private set; }

    /// <summary>Watch events discarded after waiting longer than the event timeout.</summary>
    public long ExpiredEvents => Output.ExpiredEvents;

    internal long Sequence { get; }
    internal OutputBuffer Output { get; }
    internal Dictionary<uint, Transaction> Transactions { get; } = [];
    internal int WatchCount { get; set; }

    /// <summary>Requests this connection's thread left to the daemon lock's holder (XenStoreDaemon.RequestsLeftToHolder).</summary>
    internal LeftRequests Left { get; } = new();

    /// <summary>Memory its watches are charged (<see cref="MemoryCharge.Watch"/>).</summary>
    internal long WatchBytes { get; set; }

    /// <summary>What this connection holds beyond the nodes its domain owns: watches, transactions, queued output.</summary>
    internal long MemoryUsed
    {
        get
        {
            var used = WatchBytes + Output.Pending;
            foreach (var transaction in Transactions.Values) used += transaction.ChargedBytes;
            return used;
        }
    }

    /// <summary>Processes requests already framed (in-process callers, tests). Thread-safe.</summary>
    public void Process(Message request) => daemon.ProcessOne(this, request);

    /// <summary>Frames and processes whatever whole requests <paramref name="reader"/> holds.</summary>
    public FrameStatus ProcessAvailable(FrameReader reader) => daemon.ProcessFrames(this, reader);

    /// <summary>Takes all queued output in one array (return it with <see cref="ReturnOutput"/>); false when empty.</summary>
    public bool TryTakeOutput(out byte[] buffer, out int length) => Output.TryTake(out buffer, out length);

    /// <summary>Copies queued output into a ring's free space; returns bytes copied.</summary>
    public int CopyOutput(Span<byte> destination) => Output.CopyTo(destination);

    /// <summary>Returns an array from <see cref="TryTakeOutput"/> to the pool.</summary>
    public static void ReturnOutput(byte[] buffer) => OutputBuffer.Return(buffer);

    /// <summary>Closes the connection: its watches and transactions go.</summary>
    public void Close() => daemon.CloseConnection(this);

    internal uint AllocateTransactionId()
    {
        // C counts up from 1, skipping ids still in use and 0 on wrap-around.
        while (nextTransactionId == 0 || Transactions.ContainsKey(nextTransactionId)) nextTransactionId++;
        return nextTransactionId++;
    }

    /// <summary>Queues a reply or event (the commit path calls this once what it reports is journalled); remembers that the transport must be told.</summary>
    internal void Send(MessageType type, uint reqId, uint txId, ReadOnlySpan<byte> payload)
    {
        if (IsClosed || !RoomFor(payload.Length)) return;
        if (Output.Append(type, reqId, txId, payload)) daemon.MarkOutputReady(this);
    }

    /// <summary>
    /// Queues a watch event unless the same (path, token) is still queued undelivered, as C
    /// does. Events that would exceed the payload limit are not sent (XSA-324), nor those that
    /// would take a guest past its memory quota: nobody can grow another domain's memory by
    /// making its watches fire (XSA-326).
    /// </summary>
    internal void SendEvent(string path, string token)
    {
        var size = path.Length + token.Length + 2;
        if (IsClosed || size > Wire.PayloadMax) return;
        if (!Privileged && daemon.MemoryQuotaExceeded(this, Wire.HeaderSize + size))
        {
            DroppedEvents++;
            return;
        }
        if (!RoomFor(size)) return;
        if (daemon.Tracing) daemon.Trace($"OUT {this} WatchEvent \"{path}|{token}|\"");
        if (Output.AppendEvent(path, token)) daemon.MarkOutputReady(this);
    }

    /// <summary>False, once the connection is cut off, when one more message would pass <see cref="OutputCutOff"/>.</summary>
    private bool RoomFor(int payloadLength)
    {
        if (Output.Pending + Wire.HeaderSize + payloadLength <= OutputCutOff) return true;
        daemon.CutOff(this);
        return false;
    }

    /// <summary>The connection as logs name it (<see cref="Description"/>).</summary>
    public override string ToString() => Description;
}
