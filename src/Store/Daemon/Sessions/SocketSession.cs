using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// One socket client: reads whatever arrived, lets the daemon answer every whole request in
/// it, and sends all queued output in one write. A malformed stream closes this session only.
/// A client that does not read its replies stops being read once <see cref="MaxQueuedOutput"/>
/// is queued, and the daemon cuts it off if events from others push it past
/// <see cref="DaemonConnection.OutputCutOff"/>, even while a send to it is stuck.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to release, and a send loop may still signal it after the session closes.")]
internal sealed class SocketSession(Socket socket, DaemonConnection connection, Action<SocketSession> closed)
{
    /// <summary>Queued output above which the client's requests are not read until it catches up.</summary>
    public const int MaxQueuedOutput = 1 << 20;

    private readonly FrameReader reader = new(64 * 1024);
    private readonly SemaphoreSlim drained = new(0, 1);
    private int closing;

    public void Start()
    {
        connection.OutputReady = ready =>
        {
            // Closed by the daemon (cut off): dropping the socket also ends a send that is stuck.
            if (ready.IsClosed) Close();
            else _ = SendLoopAsync();
        };
        _ = Task.Run(ReceiveLoopAsync);
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (Volatile.Read(ref closing) == 0)
            {
                while (connection.PendingOutput > MaxQueuedOutput && Volatile.Read(ref closing) == 0)
                    await drained.WaitAsync(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
                var received = await socket.ReceiveAsync(reader.GetWriteMemory(), SocketFlags.None).ConfigureAwait(false);
                if (received == 0) break;
                reader.Commit(received);
                if (connection.ProcessAvailable(reader) == FrameStatus.Oversize) break;
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        Close();
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (connection.TryTakeOutput(out var buffer, out var length))
            {
                try
                {
                    var sent = 0;
                    while (sent < length)
                        sent += await socket.SendAsync(buffer.AsMemory(sent, length - sent), SocketFlags.None).ConfigureAwait(false);
                }
                finally
                {
                    DaemonConnection.ReturnOutput(buffer);
                }
                if (drained.CurrentCount == 0) try { drained.Release(); } catch (SemaphoreFullException) { }
            }
        }
        catch (SocketException) { Close(); }
        catch (ObjectDisposedException) { Close(); }
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref closing, 1) != 0) return;
        connection.Close();
        try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        socket.Dispose();
        closed(this);
    }
}
