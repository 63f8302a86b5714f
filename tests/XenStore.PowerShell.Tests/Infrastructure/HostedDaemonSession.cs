using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests.Infrastructure;

/// <summary>
/// An engine session hosting a daemon of its own (Start-XenStoreDaemon, optionally with the
/// simulated hypervisor) with drive <see cref="Drive"/> on its socket, so a test can reach the
/// same store from a second session or as a guest.
/// </summary>
public sealed class HostedDaemonSession : IDisposable
{
    public HostedDaemonSession(string tag, string drive = "px", bool simXen = false)
    {
        RunDir = TestEnvironment.NewRunDir(tag);
        Drive = drive;
        Session = new EngineSession();
        Session.Run($"Start-XenStoreDaemon -RunDirectory '{RunDir}'" + (simXen ? $" -SimXen '{SimDir}'" : "") + " | Out-Null");
        Session.Run($"Connect-XenStore -Name {drive} -SocketPath '{SocketPath}' | Out-Null");
    }

    public EngineSession Session { get; }
    public string Drive { get; }
    public string RunDir { get; }
    public string SimDir => Path.Combine(RunDir, "sim");
    public string SocketPath => Path.Combine(RunDir, "socket");

    /// <summary>Another session on the same daemon, with the same drive name.</summary>
    public EngineSession SecondSession()
    {
        var other = new EngineSession();
        other.Run($"Connect-XenStore -Name {Drive} -SocketPath '{SocketPath}' | Out-Null");
        return other;
    }

    public void Dispose()
    {
        Session.TryRun("$ExecutionContext.SessionState.Drive.GetAllForProvider('XenStore') | Where-Object Name -ne 'xs' | ForEach-Object { Disconnect-XenStore -Name $_.Name }");
        Session.TryRun($"Stop-XenStoreDaemon -RunDirectory '{RunDir}'");
        Session.Dispose();
        try { Directory.Delete(RunDir, recursive: true); } catch (IOException) { }
    }
}
