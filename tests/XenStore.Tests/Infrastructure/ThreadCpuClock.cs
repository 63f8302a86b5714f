using System.Runtime.InteropServices;

namespace XenStore.Tests.Infrastructure;

/// <summary>
/// CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID). Costs measured with it do
/// not depend on how many other processes share the machine, as wall-clock times do: what a
/// request makes the daemon do, not how long the scheduler let it wait.
/// </summary>
public static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>The calling thread's CPU time so far, in milliseconds.</summary>
    public static double Milliseconds()
    {
        if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0) throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }

    /// <summary>Runs <paramref name="action"/> and returns the CPU time it took on this thread, in milliseconds.</summary>
    public static double Measure(Action action)
    {
        var start = Milliseconds();
        action();
        return Milliseconds() - start;
    }
}
