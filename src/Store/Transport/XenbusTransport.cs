using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace XenStore.Transport;

/// <summary>
/// The Linux xenbus device (/dev/xen/xenbus, or /proc/xen/xenbus on old kernels): the same
/// wire format, but the kernel sits in the middle. Each write must be one whole message of
/// at most 4096 bytes including the header; the kernel answers WATCH/UNWATCH itself and
/// leaves req_id/tx_id of events unspecified.
/// </summary>
public sealed class XenbusTransport : IXenStoreTransport
{
    /// <summary>Header plus payload must fit one page through the device.</summary>
    public const int MaxMessage = 4096;

    /// <summary>How long one wait for the device lasts before cancellation and disposal are looked at again.</summary>
    private const int PollMs = 50;

    private readonly SafeFileHandle handle;
    /// <summary>Unbuffered: each write is one write(2). Not RandomAccess, which refuses a device that cannot seek.</summary>
    private readonly FileStream device;
    private volatile bool disposed;

    private XenbusTransport(SafeFileHandle handle, string path)
    {
        this.handle = handle;
        device = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
        DevicePath = path;
    }

    /// <summary>The device opened.</summary>
    public string DevicePath { get; }
    /// <inheritdoc/>
    public string Description => "xenbus " + DevicePath;
    /// <inheritdoc/>
    public bool OneMessagePerWrite => true;
    /// <inheritdoc/>
    public bool TolerantReplyMatching => true;

    /// <summary>The device clients use: /dev/xen/xenbus, else /proc/xen/xenbus; null when neither exists.</summary>
    public static string? DefaultPath =>
        File.Exists("/dev/xen/xenbus") ? "/dev/xen/xenbus" : File.Exists("/proc/xen/xenbus") ? "/proc/xen/xenbus" : null;

    /// <summary>Opens <paramref name="path"/>, or <see cref="DefaultPath"/>; throws <see cref="FileNotFoundException"/> when there is no xenbus device.</summary>
    public static XenbusTransport Open(string? path = null)
    {
        path ??= DefaultPath ?? throw new FileNotFoundException("No xenbus device: neither /dev/xen/xenbus nor /proc/xen/xenbus exists (not running on Xen).");
        return new XenbusTransport(File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite), path);
    }

    /// <inheritdoc/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length > MaxMessage)
            throw new XenStore.Client.XenStoreException(Protocol.XenStoreErrorCode.E2BIG, "E2BIG", null, "A message through the xenbus device must fit 4096 bytes with its header.");
        // A character device: the write completes at once; the kernel takes the whole message.
        device.Write(data.Span);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        // Off the caller's thread: the wait for the device is a blocking poll.
        new(Task.Run(() => ReadWhenReady(buffer, cancellationToken), cancellationToken));

    /// <summary>
    /// Reads once the device has something. A read blocked in the kernel can be interrupted
    /// by neither cancellation nor Dispose (the handle stays in use, so it is not even
    /// closed), so the wait is a poll of bounded length, and the read comes only when it
    /// will not block.
    /// </summary>
    private int ReadWhenReady(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(disposed, this);
            if (Readable()) return device.Read(buffer.Span);
        }
    }

    /// <summary>Whether a read would not block (data, or a hang-up or error the read will report).</summary>
    private bool Readable()
    {
        var added = false;
        // Held for the poll only, so a Dispose meanwhile closes the handle as soon as it returns.
        handle.DangerousAddRef(ref added);
        try
        {
            var ready = UnixPoll.WaitReadable((int)handle.DangerousGetHandle(), PollMs);
            if (ready >= 0) return ready > 0;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) return false;
            throw new IOException($"{Description}: poll failed (errno {errno}).");
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Closes the device.</summary>
    public ValueTask DisposeAsync()
    {
        disposed = true;
        device.Dispose();
        return ValueTask.CompletedTask;
    }

    private const int EINTR = 4;
}
