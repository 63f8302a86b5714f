using XenStore.Client;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Client;

/// <summary>A client whose connection a test can cut at any moment, as a dying daemon would; it reconnects to the same daemon.</summary>
public sealed class BreakableClient : IAsyncDisposable
{
    private BreakableTransport current;

    private BreakableClient(BreakableTransport first, DaemonUnderTest daemon)
    {
        current = first;
        Client = XenStoreClient.Create(first, async _ => current = new BreakableTransport(await daemon.OpenTransportAsync()));
    }

    public static async Task<BreakableClient> ConnectAsync(DaemonUnderTest daemon) =>
        new(new BreakableTransport(await daemon.OpenTransportAsync()), daemon);

    public XenStoreClient Client { get; }

    /// <summary>The connection is gone: receives end, sends fail.</summary>
    public void Break() => current.Break();

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    private sealed class BreakableTransport(IXenStoreTransport inner) : IXenStoreTransport
    {
        private readonly TaskCompletionSource broken = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Description => "breakable " + inner.Description;
        public bool OneMessagePerWrite => inner.OneMessagePerWrite;
        public bool TolerantReplyMatching => inner.TolerantReplyMatching;

        public void Break() => broken.TrySetResult();

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            broken.Task.IsCompleted ? throw new IOException("connection broken by the test") : inner.SendAsync(data, cancellationToken);

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (broken.Task.IsCompleted) return 0;
            var receive = inner.ReceiveAsync(buffer, cancellationToken).AsTask();
            return await Task.WhenAny(receive, broken.Task) == broken.Task ? 0 : await receive;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
