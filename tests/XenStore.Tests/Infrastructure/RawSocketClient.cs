using System.Net.Sockets;
using XenStore.Protocol;

namespace XenStore.Tests.Infrastructure;

/// <summary>
/// A minimal wire client over a Unix socket, independent of the product's client library:
/// send a request, read until its reply, keep watch events aside.
/// </summary>
public sealed class RawSocketClient : IDisposable
{
    private readonly Socket socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly FrameReader reader = new();
    private readonly Queue<(string Path, string Token)> events = new();
    private uint nextReqId = 1;

    public RawSocketClient(string socketPath)
    {
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        socket.ReceiveTimeout = 10_000;
    }

    public Message Send(MessageType type, params string[] args) => SendRaw(new Message(type, nextReqId++, 0, Payloads.Strings(args)));

    public Message Write(string path, string value) =>
        SendRaw(new Message(MessageType.Write, nextReqId++, 0, [.. Payloads.Strings(path), .. Wire.Encode(value)]));

    public Message SendRaw(Message request)
    {
        socket.Send(request.ToBytes());
        while (true)
        {
            var message = Next(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"no reply to {request}");
            if (message.Type == MessageType.WatchEvent) continue;
            if (message.ReqId == request.ReqId) return message;
        }
    }

    /// <summary>Waits for one watch event (path, token), consuming events until it comes.</summary>
    public bool WaitForEvent(string path, string token, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            while (events.Count > 0)
                if (events.Dequeue() == (path, token)) return true;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || Next(left) is null) return false;
        }
    }

    private Message? Next(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (reader.TryRead(out var message) == FrameStatus.Message)
            {
                if (message!.Type == MessageType.WatchEvent)
                {
                    var parts = Payloads.Split(message.Payload);
                    events.Enqueue((parts[0], parts[1]));
                }
                return message;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !socket.Poll((int)Math.Min(left.TotalMicroseconds, int.MaxValue), SelectMode.SelectRead)) return null;
            var memory = reader.GetWriteMemory();
            var n = socket.Receive(memory.Span);
            if (n == 0) throw new IOException("the daemon closed the connection");
            reader.Commit(n);
        }
    }

    public void Dispose() => socket.Dispose();
}
