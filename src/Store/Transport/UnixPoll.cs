using System.Runtime.InteropServices;

namespace XenStore.Transport;

/// <summary>poll(2) on one file descriptor, for the devices .NET cannot wait on itself (xenbus, xenevtchn).</summary>
internal static class UnixPoll
{
    private const short PollIn = 1;

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for <paramref name="fd"/> to be readable (or to
    /// report a hang-up or error): poll's result, 1, 0 on timeout, -1 with errno set.
    /// </summary>
    public static int WaitReadable(int fd, int timeoutMs)
    {
        var pollFd = new PollFd { Fd = fd, Events = PollIn };
        return Poll(ref pollFd, 1, timeoutMs);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollFd fds, nuint count, int timeoutMs);
}
