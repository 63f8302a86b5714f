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

    private readonly SafeFileHandle handle;

    private XenbusTransport(SafeFileHandle handle, string path)
    {
        this.handle = handle;
        DevicePath = path;
    }

    public string DevicePath { get; }
    public string Description => "xenbus " + DevicePath;
    public bool OneMessagePerWrite => true;
    public bool TolerantReplyMatching => true;

    /// <summary>The device clients use: /dev/xen/xenbus, else /proc/xen/xenbus; null when neither exists.</summary>
    public static string? DefaultPath =>
        File.Exists("/dev/xen/xenbus") ? "/dev/xen/xenbus" : File.Exists("/proc/xen/xenbus") ? "/proc/xen/xenbus" : null;

    public static XenbusTransport Open(string? path = null)
    {
        path ??= DefaultPath ?? throw new FileNotFoundException("No xenbus device: neither /dev/xen/xenbus nor /proc/xen/xenbus exists (not running on Xen).");
        return new XenbusTransport(File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite), path);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length > MaxMessage)
            throw new XenStore.Client.XenStoreException(Protocol.XenStoreErrorCode.E2BIG, "E2BIG", null, "A message through the xenbus device must fit 4096 bytes with its header.");
        // A character device: the write completes at once; the kernel takes the whole message.
        RandomAccess.Write(handle, data.Span, 0);
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        // Reads block until the kernel has a reply or an event; run them off the caller's thread.
        new(Task.Run(() => RandomAccess.Read(handle, buffer.Span, 0), cancellationToken));

    public ValueTask DisposeAsync()
    {
        handle.Dispose();
        return ValueTask.CompletedTask;
    }
}
