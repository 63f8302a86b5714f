namespace XenStore.Daemon;

/// <summary>
/// The requests a transaction ran, in order, with their replies: what a replay runs again at a
/// commit that found the store changed (oxenstored's replay). Bounded, because a replay runs
/// under the daemon lock and the log is memory the daemon keeps for the client.
/// </summary>
internal sealed class TransactionLog
{
    /// <summary>
    /// Requests one log keeps. oxenstored's limit of requests per transaction; libxl's largest
    /// transactions (a domain's nodes, a device with its permissions) take under 100.
    /// </summary>
    public const int MaxRequests = 1024;

    /// <summary>
    /// Payload bytes (requests and replies) one log keeps: 16 writes of a full 4 KiB payload, 8
    /// reads with full-size replies, or a thousand typical requests of libxl. Replaying it costs
    /// about what the client's own requests cost once, so a replay holds the lock for a bounded
    /// time.
    /// </summary>
    public const int MaxBytes = 64 * 1024;

    private readonly List<RecordedRequest> requests = [];

    /// <summary>The recorded requests, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => requests;

    /// <summary>Payload bytes kept so far.</summary>
    public int Bytes { get; private set; }

    /// <summary>Whether one more request of <paramref name="payloadBytes"/> stays within the bounds.</summary>
    public bool Fits(int payloadBytes) => requests.Count < MaxRequests && Bytes + payloadBytes <= MaxBytes;

    /// <summary>Keeps one more request; the caller has checked <see cref="Fits"/>.</summary>
    public void Add(RecordedRequest request)
    {
        requests.Add(request);
        Bytes += request.PayloadBytes;
    }
}
