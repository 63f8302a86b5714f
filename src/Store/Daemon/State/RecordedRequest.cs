using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// The reply a request got: its type (the request's own, or ERROR) and its payload. A replay
/// compares the reply it gets with this one, byte for byte.
/// </summary>
internal readonly record struct RecordedReply(MessageType Type, byte[] Payload)
{
    /// <summary>True when <paramref name="other"/> is the same reply: same type, equal payload bytes.</summary>
    public bool SameAs(RecordedReply other) => Type == other.Type && Payload.AsSpan().SequenceEqual(other.Payload);
}

/// <summary>One request run in a transaction and the reply its client was given.</summary>
internal readonly record struct RecordedRequest(Message Request, RecordedReply Reply)
{
    /// <summary>The bytes the client chose: the request's payload and its reply's.</summary>
    public int PayloadBytes => Request.Payload.Length + Reply.Payload.Length;
}
