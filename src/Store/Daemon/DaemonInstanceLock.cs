using System.Globalization;
using System.Net.Sockets;

namespace XenStore.Daemon;

/// <summary>
/// One daemon per socket. A second daemon must not take a live daemon's socket over (its
/// clients would silently lose it) nor replay a persisted journal the first is writing; a
/// socket or pid file left by a daemon that died must still be taken over.
/// <para>
/// Two checks: a lock on SOCKET.lock held for the daemon's life (any daemon of this library,
/// in this process or another; the kernel drops it when a daemon dies, even by kill -9), and a
/// probe connect to the socket (any other xenstored, cxenstored included).
/// </para>
/// </summary>
public sealed class DaemonInstanceLock : IDisposable
{
    private readonly FileStream held;
    private bool pidWritten;

    private DaemonInstanceLock(FileStream held, string socketPath, string pidFile)
    {
        this.held = held;
        SocketPath = socketPath;
        PidFile = pidFile;
    }

    /// <summary>The socket this process has claimed.</summary>
    public string SocketPath { get; }

    /// <summary>Where the pid of the serving process is written once it serves (default: xenstored.pid beside the socket).</summary>
    public string PidFile { get; }

    /// <summary>
    /// Claims <paramref name="socketPath"/> for this process, or throws
    /// <see cref="XenStoredRunningException"/> when a live daemon serves it. A stale socket
    /// file is left for the server to replace.
    /// </summary>
    public static DaemonInstanceLock Acquire(string socketPath, string? pidFile = null)
    {
        pidFile ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(socketPath)) ?? "/", "xenstored.pid");
        FileStream held;
        try
        {
            // FileShare.None is an exclusive flock(2) on Unix: refused while another open file holds it, in any process.
            held = new FileStream(socketPath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new XenStoredRunningException(socketPath, ReadLivePid(pidFile), ex);
        }
        if (Answers(socketPath))
        {
            held.Dispose();
            throw new XenStoredRunningException(socketPath, ReadLivePid(pidFile));
        }
        return new DaemonInstanceLock(held, socketPath, pidFile);
    }

    /// <summary>Writes this process's pid to <see cref="PidFile"/> (called once the socket serves).</summary>
    public void WritePidFile()
    {
        File.WriteAllText(PidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        pidWritten = true;
    }

    /// <summary>Removes the pid file this lock wrote and releases the lock (the lock file stays: deleting it would let two daemons lock two different files).</summary>
    public void Dispose()
    {
        if (pidWritten)
        {
            try { File.Delete(PidFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            pidWritten = false;
        }
        held.Dispose();
    }

    /// <summary>True when something accepts connections on the socket (a refused connect means a dead daemon's leftover).</summary>
    private static bool Answers(string socketPath)
    {
        if (!File.Exists(socketPath)) return false;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException e)
        {
            // A full backlog (EAGAIN) is a live daemon too busy to take us at once.
            return e.SocketErrorCode is SocketError.TryAgain or SocketError.WouldBlock;
        }
    }

    /// <summary>The pid in the pid file if that process is alive; null when unknown.</summary>
    private static int? ReadLivePid(string pidFile)
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return null;
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited ? null : pid;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>A daemon already serves the socket another was to serve.</summary>
public sealed class XenStoredRunningException(string socketPath, int? pid, Exception? inner = null)
    : IOException($"xenstored already running (pid {(pid is { } p ? p.ToString(CultureInfo.InvariantCulture) : "unknown")}): it serves {socketPath}.", inner)
{
    /// <summary>The socket the running daemon serves.</summary>
    public string SocketPath { get; } = socketPath;

    /// <summary>The running daemon's process, when its pid file names a live one.</summary>
    public int? Pid { get; } = pid;
}
