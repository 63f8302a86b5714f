using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// Reads everything a daemon connection sends and checks it: whole frames within the
/// payload limit, one reply per request in request order (same type, or ERROR with a known
/// name), and watch events of exactly two strings in between.
/// </summary>
internal sealed class ReplyChecker
{
    private static readonly HashSet<string> ErrorPayloads =
        [.. Enum.GetValues<XenStoreErrorCode>().Where(c => c != XenStoreErrorCode.Unknown).Select(c => c + "\0")];

    private readonly FrameReader output = new(maxPayload: Wire.PayloadMax);
    private readonly Queue<Message> pending = new();

    /// <summary>Replies seen so far.</summary>
    public int Replies { get; private set; }

    /// <summary>The latest reply (not event) seen.</summary>
    public Message? LastReply { get; private set; }

    /// <summary>Records a request the daemon was given whole (it must answer it).</summary>
    public void Expect(Message request) => pending.Enqueue(request);

    /// <summary>Requests not yet answered.</summary>
    public int Unanswered => pending.Count;

    /// <summary>Takes and checks all output queued on <paramref name="connection"/>.</summary>
    public void Drain(DaemonConnection connection)
    {
        while (connection.TryTakeOutput(out var buffer, out var length))
        {
            output.Append(buffer.AsSpan(0, length));
            DaemonConnection.ReturnOutput(buffer);
        }
        while (true)
        {
            var status = output.TryRead(out var message);
            Check.That(status != FrameStatus.Oversize, "every reply's payload is within the 4096-byte limit");
            if (status == FrameStatus.Incomplete) break;
            Inspect(message!);
        }
        Check.That(output.Buffered == 0, "the daemon hands out whole messages only");
    }

    private void Inspect(Message message)
    {
        if (message.Type == MessageType.WatchEvent)
        {
            Check.That(message.ReqId == 0, "a watch event carries request id 0");
            var strings = Payloads.Split(message.Payload);
            Check.That(strings.Count == 2 && message.Payload[^1] == 0, "a watch event is exactly path and token");
            return;
        }
        Check.That(pending.TryDequeue(out var request), $"a reply answers a request ({message})");
        Replies++;
        LastReply = message;
        Check.That(message.ReqId == request!.ReqId, $"replies come in request order with the request's id ({request} answered by {message})");
        if (message.Type == MessageType.Error)
            Check.That(ErrorPayloads.Contains(Wire.Decode(message.Payload)), $"an error reply names a known error ({message})");
        else
            Check.That(message.Type == request.Type, $"a reply has its request's type ({request} answered by {message})");
    }
}
