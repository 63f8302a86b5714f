using System.Runtime.InteropServices;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// fsync(2) of a directory: what makes a rename or an unlink in it durable. A file's own
/// fsync covers its data, not its name; without this a power cut after a snapshot was renamed
/// into place and the journal segments it covers were deleted could leave neither on disk.
/// Windows has no equivalent call (and NTFS journals renames itself): there it does nothing.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;

    public static void Sync(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(directory, ReadOnly);
        if (fd < 0) throw new IOException($"cannot open the directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"cannot sync the directory {directory} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
