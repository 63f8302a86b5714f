namespace XenStore.Transport;

/// <summary>
/// A duplex byte stream to a xenstored: a Unix socket, the xenbus device, a ring, or a daemon
/// in the same process. The client sends whole messages (possibly several at once) and reads
/// whatever bytes arrive; framing is the client's job.
/// </summary>
public interface IXenStoreTransport : IAsyncDisposable
{
    /// <summary>For messages: "socket /run/xenstored/socket", "xenbus /dev/xen/xenbus".</summary>
    string Description { get; }

    /// <summary>
    /// True when every write must be exactly one whole message (the xenbus device parses each
    /// write), so the client must not coalesce several messages into one send.
    /// </summary>
    bool OneMessagePerWrite { get; }

    /// <summary>
    /// The xenbus device answers WATCH/UNWATCH itself and leaves req_id/tx_id of events
    /// unspecified; replies from old kernels may not echo req_id. The client then matches
    /// replies that fit no request id to the oldest request waiting.
    /// </summary>
    bool TolerantReplyMatching { get; }

    /// <summary>Sends bytes (one or more whole messages).</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Receives up to <paramref name="buffer"/>.Length bytes; 0 when the peer closed.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}
