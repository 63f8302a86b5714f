using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// One fuzzed client of the daemon: the reader its bytes go into, as a transport's would,
/// and the check of everything it is sent back.
/// </summary>
internal sealed class FuzzClient(DaemonConnection connection)
{
    private readonly FrameReader reader = new();

    // The same bytes framed on the side tell which requests the daemon must answer.
    private readonly FrameReader requests = new();

    public DaemonConnection Connection => connection;

    public ReplyChecker Checker { get; } = new();

    /// <summary>Hands bytes to the daemon; false once a transport would close the connection.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes)
    {
        reader.Append(bytes);
        requests.Append(bytes);
        while (requests.TryRead(out var request) == FrameStatus.Message) Checker.Expect(request!);
        FrameStatus status;
        try
        {
            status = connection.ProcessAvailable(reader);
        }
        catch (Exception ex)
        {
            throw new FuzzInvariantException("an exception escaped the daemon", ex);
        }
        // The transports close the connection on an oversize header: the stream cannot be trusted any more.
        return status != FrameStatus.Oversize;
    }

    /// <summary>Checks what was queued for this client (replies, and events its watches fired).</summary>
    public void Drain() => Checker.Drain(connection);
}
