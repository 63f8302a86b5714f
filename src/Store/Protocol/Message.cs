namespace XenStore.Protocol;

/// <summary>One whole XenStore message: header fields and payload bytes.</summary>
public sealed class Message
{
    /// <summary>A message with these header fields and payload (not copied).</summary>
    public Message(MessageType type, uint reqId, uint txId, byte[] payload)
    {
        Type = type;
        ReqId = reqId;
        TxId = txId;
        Payload = payload;
    }

    /// <summary>What the message asks or answers.</summary>
    public MessageType Type { get; }
    /// <summary>The request id, which the reply carries back.</summary>
    public uint ReqId { get; }
    /// <summary>The transaction the request runs in; 0 for none.</summary>
    public uint TxId { get; }
    /// <summary>The payload bytes, without the header.</summary>
    public byte[] Payload { get; }

    /// <summary>Header plus payload, as sent on the wire.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Wire.HeaderSize + Payload.Length];
        Wire.WriteHeader(bytes, Type, ReqId, TxId, Payload.Length);
        Payload.CopyTo(bytes, Wire.HeaderSize);
        return bytes;
    }

    /// <summary>Builds a request whose arguments are NUL-terminated strings ("a\0b\0").</summary>
    public static Message WithStrings(MessageType type, uint reqId, uint txId, params string[] args) =>
        new(type, reqId, txId, Payloads.Strings(args));

    /// <summary>The header fields and the payload as text, NULs shown as |.</summary>
    public override string ToString() =>
        $"{Type} req={ReqId} tx={TxId} len={Payload.Length} \"{Wire.Decode(Payload).Replace('\0', '|')}\"";
}
