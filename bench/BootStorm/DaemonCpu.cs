using System.Globalization;

/// <summary>
/// A process's own time on CPU, summed over its threads from /proc/PID/task/*/schedstat (the
/// first field, nanoseconds), as bench/xsload.c reads it: exact, and counts only the daemon.
/// </summary>
internal static class DaemonCpu
{
    public static long Nanoseconds(int pid)
    {
        long total = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                total += long.Parse(fields[0], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read: its time is lost to both readings alike.
            }
        }
        return total;
    }
}
