using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Tests.Infrastructure;

/// <summary>
/// A raw connection to a daemon hosted in the test process: send one request, get its
/// reply; watch events are collected on the side. Privileged (dom0) unless a domain is given.
/// </summary>
public sealed class InProcessClient
{
    private readonly DaemonConnection connection;
    private readonly FrameReader reader = new();
    private readonly Queue<Message> replies = new();
    private readonly object gate = new();
    private uint nextReqId = 1;

    public InProcessClient(XenStoreDaemon daemon, uint domid = 0, bool privileged = true)
    {
        connection = daemon.Connect(domid, privileged, privileged ? "test dom0" : $"test domain {domid}");
        connection.OutputReady = _ => Drain();
    }

    /// <summary>Watch events received so far, as (path, token).</summary>
    public List<(string Path, string Token)> Events { get; } = [];

    /// <summary>Sends a request with string arguments and returns its reply.</summary>
    public Message Send(MessageType type, params string[] args) => SendIn(0, type, args);

    /// <summary>Sends a request in transaction <paramref name="txId"/>.</summary>
    public Message SendIn(uint txId, MessageType type, params string[] args) =>
        SendRaw(new Message(type, nextReqId++, txId, Payloads.Strings(args)));

    /// <summary>TRANSACTION_START; the new transaction's id.</summary>
    public uint StartTransaction() => uint.Parse(Send(MessageType.TransactionStart, "").Text().TrimEnd('|'), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>WRITE path = value.</summary>
    public Message Write(string path, string value, uint txId = 0) =>
        SendRaw(new Message(MessageType.Write, nextReqId++, txId, [.. Payloads.Strings(path), .. Wire.Encode(value)]));

    public Message SendRaw(Message request) =>
        TrySendRaw(request, TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"no reply to {request}");

    /// <summary>
    /// Sends a request and returns its reply, or null when the daemon closed the connection
    /// or sent no reply within <paramref name="timeout"/> (a daemon that may refuse to answer).
    /// </summary>
    public Message? TrySendRaw(Message request, TimeSpan timeout)
    {
        if (connection.IsClosed) return null;
        connection.Process(request);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Drain();
            lock (gate)
            {
                while (replies.Count > 0)
                {
                    var reply = replies.Dequeue();
                    if (reply.ReqId == request.ReqId) return reply;
                }
            }
            if (connection.IsClosed || DateTime.UtcNow > deadline) return null;
            Thread.Sleep(1);
        }
    }

    /// <summary>WRITE path = value, or null when no reply comes (see <see cref="TrySendRaw"/>).</summary>
    public Message? TryWrite(string path, string value, TimeSpan timeout) =>
        TrySendRaw(new Message(MessageType.Write, nextReqId++, 0, [.. Payloads.Strings(path), .. Wire.Encode(value)]), timeout);

    /// <summary>True once the daemon has closed this connection.</summary>
    public bool IsClosed => connection.IsClosed;

    /// <summary>Asserts a reply is OK and returns nothing.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Called on the client whose replies it checks, like its other helpers: dom0.Ok(dom0.Write(...)).")]
    public void Ok(Message reply) => Assert.True(reply.Type != MessageType.Error, $"expected success, got {reply}");

    /// <summary>Waits until an event satisfying <paramref name="match"/> arrives.</summary>
    public bool WaitForEvent(Func<(string Path, string Token), bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            Drain();
            lock (gate)
                if (Events.Any(match)) return true;
            Thread.Sleep(5);
        }
        return false;
    }

    private void Drain()
    {
        lock (gate)
        {
            while (connection.TryTakeOutput(out var buffer, out var length))
            {
                reader.Append(buffer.AsSpan(0, length));
                DaemonConnection.ReturnOutput(buffer);
            }
            while (reader.TryRead(out var message) == FrameStatus.Message)
            {
                if (message!.Type == MessageType.WatchEvent)
                {
                    var parts = Payloads.Split(message.Payload);
                    Events.Add((parts[0], parts[1]));
                }
                else replies.Enqueue(message);
            }
        }
    }
}

/// <summary>Reply helpers.</summary>
public static class MessageAssertions
{
    /// <summary>The error name of an ERROR reply, or null for success.</summary>
    public static string? ErrorName(this Message reply) =>
        reply.Type == MessageType.Error ? Wire.Decode(reply.Payload).TrimEnd('\0') : null;

    /// <summary>The payload as text with NULs shown as '|'.</summary>
    public static string Text(this Message reply) => Wire.Decode(reply.Payload).Replace('\0', '|');
}
