using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// A request as it reached the daemon: a <see cref="Message"/> of its own (in-process callers,
/// a transaction's replay), or a header and a payload still in a transport's receive buffer,
/// which hold only while the request is handled. Most requests need no more than that, so
/// only those that must outlive their handling (kept for a replay, reported as an internal
/// error) are copied into a <see cref="Message"/>.
/// </summary>
internal readonly struct RequestFrame
{
    private readonly Message? message;

    public RequestFrame(Message message)
    {
        this.message = message;
        Type = message.Type;
        ReqId = message.ReqId;
        TxId = message.TxId;
        Payload = message.Payload;
    }

    public RequestFrame(MessageHeader header, ReadOnlyMemory<byte> payload)
    {
        Type = header.Type;
        ReqId = header.ReqId;
        TxId = header.TxId;
        Payload = payload;
    }

    public MessageType Type { get; }
    public uint ReqId { get; }
    public uint TxId { get; }

    /// <summary>The payload bytes; valid only while the request is handled.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The request as a message that outlives its handling: the one it came as, or a copy.</summary>
    public Message ToMessage() => message ?? new Message(Type, ReqId, TxId, Payload.ToArray());

    /// <summary>As <see cref="Message.ToString"/>, for the trace.</summary>
    public override string ToString() => ToMessage().ToString();
}
