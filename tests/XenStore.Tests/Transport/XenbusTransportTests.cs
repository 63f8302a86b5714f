using System.Runtime.InteropServices;
using XenStore.Tests.Infrastructure;
using XenStore.Transport;

namespace XenStore.Tests.Transport;

/// <summary>
/// The xenbus transport over a FIFO standing in for the device (there is no xenbus here): a
/// read waiting for the kernel ends promptly on cancellation and on Dispose.
/// </summary>
public sealed class XenbusTransportTests : IDisposable
{
    private readonly string dir = TestEnvironment.NewRunDir("xenbus");
    private readonly string device;

    public XenbusTransportTests()
    {
        device = Path.Combine(dir, "xenbus");
        Assert.Equal(0, MakeFifo(device, Convert.ToUInt32("600", 8)));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task WhatIsWrittenIsReadBack()
    {
        // Opened read-write, the FIFO hands the transport its own message: enough to see both directions work.
        await using var transport = XenbusTransport.Open(device);
        await transport.SendAsync(new byte[] { 1, 2, 3 }, CancellationToken.None);
        var buffer = new byte[16];
        Assert.Equal(3, await transport.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task CancellationEndsAWaitingRead()
    {
        await using var transport = XenbusTransport.Open(device);
        using var cancel = new CancellationTokenSource();
        var read = transport.ReceiveAsync(new byte[16], cancel.Token).AsTask();
        await Task.Delay(200);
        Assert.False(read.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task DisposeEndsAWaitingReadAndClosesTheDevice()
    {
        var transport = XenbusTransport.Open(device);
        var read = transport.ReceiveAsync(new byte[16], CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.True(IsOpen());
        await transport.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(SpinWait.SpinUntil(() => !IsOpen(), TimeSpan.FromSeconds(5)), "the device is still open");
    }

    private bool IsOpen() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Any(fd =>
        {
            try { return fd.LinkTarget == device; }
            catch (IOException) { return false; }
        });

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);
}
