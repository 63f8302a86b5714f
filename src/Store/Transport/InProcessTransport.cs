using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Transport;

/// <summary>
/// A connection to a daemon hosted in this process: the same messages as over a socket,
/// without the socket. The embedded daemon of the PowerShell module is reached this way, so
/// every path through the module is one a real daemon sees.
/// </summary>
public sealed class InProcessTransport : IXenStoreTransport
{
    private readonly DaemonConnection connection;
    private readonly FrameReader input = new();
    private readonly SemaphoreSlim outputReady = new(0);
    private byte[] leftover = [];
    private int leftoverOffset;
    private volatile bool closed;

    /// <summary>Connects to <paramref name="daemon"/> as dom0 (privileged), or as a guest domain.</summary>
    public InProcessTransport(XenStoreDaemon daemon, uint domainId = 0, bool privileged = true)
    {
        connection = daemon.Connect(domainId, privileged, privileged ? "in-process" : $"in-process domain {domainId}");
        connection.OutputReady = _ => outputReady.Release();
    }

    /// <inheritdoc/>
    public string Description => "in-process daemon";
    /// <inheritdoc/>
    public bool OneMessagePerWrite => false;
    /// <inheritdoc/>
    public bool TolerantReplyMatching => false;

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (closed) throw new IOException("The in-process connection is closed.");
        lock (input)
        {
            input.Append(data.Span);
            if (connection.ProcessAvailable(input) == FrameStatus.Oversize) Close();
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (leftoverOffset < leftover.Length)
            {
                var n = Math.Min(buffer.Length, leftover.Length - leftoverOffset);
                leftover.AsSpan(leftoverOffset, n).CopyTo(buffer.Span);
                leftoverOffset += n;
                return n;
            }
            if (connection.TryTakeOutput(out var taken, out var length))
            {
                leftover = taken.AsSpan(0, length).ToArray();
                leftoverOffset = 0;
                DaemonConnection.ReturnOutput(taken);
                continue;
            }
            if (closed || connection.IsClosed) return 0;
            await outputReady.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Close()
    {
        closed = true;
        connection.Close();
        outputReady.Release();
    }

    /// <summary>Closes the connection, as closing a socket to the daemon would.</summary>
    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }
}
