using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Ring;

/// <summary>
/// The real-Xen path (libxenevtchn, libxengnttab, libxenctrl through P/Invoke) without a
/// hypervisor: the reference daemons' stand-in for those libraries is preloaded into our
/// daemon, and its control FIFO plays Xen's domain-state interrupt.
/// </summary>
public sealed class XenPlatformTests
{
    /// <summary>Our daemon with --xen on the stand-in hypervisor, which reports domains 0–20; its control FIFO is RUNDIR/anchor-ctl.</summary>
    private static StandaloneDaemon StartOnStandInXen(string tag, out string runDir)
    {
        var shim = XenShim.Build();
        runDir = TestEnvironment.NewRunDir(tag);
        return StandaloneDaemon.Start(["--xen"], new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = shim,
            ["XENSTORED_RUNDIR"] = runDir,
            ["ANCHOR_DOMAINS"] = "0-20",
        }, runDir);
    }

    [Fact]
    public void WithoutXenTheDaemonRefusesAtOnceAndSaysWhatIsMissing()
    {
        var result = TestEnvironment.Run("dotnet", [StandaloneDaemon.HostAssembly, "--xen", "--rundir", TestEnvironment.NewRunDir("nox")], timeoutMs: 30_000);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot use Xen", result.Stderr);
        Assert.Matches("privcmd|not installed|evtchn|gntdev", result.Stderr);
    }

    [Fact]
    [Trait("Needs", "peers")]
    public void DomainShutdownAndDeathReportedByTheHypervisorAreHandled()
    {
        using var daemon = StartOnStandInXen("xen", out var runDir);
        using var dom0 = new RawSocketClient(daemon.SocketPath);
        Assert.Equal("OK|", dom0.Send(MessageType.Introduce, "7", "1", "5").Text());
        Assert.Equal("OK|", dom0.Write("/local/domain/7/x", "1").Text());
        Assert.Equal("OK|", dom0.Send(MessageType.SetPerms, "/local/domain/7", "n7").Text());
        Assert.Equal("OK|", dom0.Send(MessageType.Watch, "@releaseDomain", "rel").Text());
        Assert.True(dom0.WaitForEvent("@releaseDomain", "rel", TimeSpan.FromSeconds(5)), "initial event");

        File.WriteAllText(Path.Combine(runDir, "anchor-ctl"), "shutdown 7\n");
        Assert.True(dom0.WaitForEvent("@releaseDomain", "rel", TimeSpan.FromSeconds(5)), "shutdown fires @releaseDomain");
        Assert.Equal("T|", dom0.Send(MessageType.IsDomainIntroduced, "7").Text());

        File.WriteAllText(Path.Combine(runDir, "anchor-ctl"), "kill 7\n");
        Assert.True(dom0.WaitForEvent("@releaseDomain", "rel", TimeSpan.FromSeconds(5)), "death fires @releaseDomain");
        Assert.Equal("F|", dom0.Send(MessageType.IsDomainIntroduced, "7").Text());
        Assert.Equal("ENOENT|", dom0.Send(MessageType.Read, "/local/domain/7/x").Text());
    }

    [Fact]
    public void ADomainTheHypervisorReportsMayOwnNodesBeforeItIsIntroduced()
    {
        using var daemon = StartOnStandInXen("xenexist", out var runDir);
        using var dom0 = new RawSocketClient(daemon.SocketPath);
        Assert.Equal("OK|", dom0.Send(MessageType.Mkdir, "/local/domain/9").Text());
        Assert.Equal("OK|", dom0.Send(MessageType.SetPerms, "/local/domain/9", "n9", "r0").Text());
        Assert.Equal("F|", dom0.Send(MessageType.IsDomainIntroduced, "9").Text());
        // Domain 25 does not exist until the hypervisor creates it.
        Assert.Equal("ENOENT|", dom0.Send(MessageType.SetPerms, "/local/domain/9", "n25").Text());
        File.WriteAllText(Path.Combine(runDir, "anchor-ctl"), "create 25\n");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        string reply;
        while ((reply = dom0.Send(MessageType.SetPerms, "/local/domain/9", "n25").Text()) != "OK|" && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        Assert.Equal("OK|", reply);
    }

    [Fact]
    [Trait("Needs", "peers")]
    public void ADomainNeverIntroducedThatDiesTakesItsNodesWithItWithoutReleaseDomain()
    {
        using var daemon = StartOnStandInXen("xendeath", out var runDir);
        using var dom0 = new RawSocketClient(daemon.SocketPath);
        Assert.Equal("OK|", dom0.Write("/local/domain/9/x", "1").Text());
        Assert.Equal("OK|", dom0.Send(MessageType.SetPerms, "/local/domain/9", "n9", "r0").Text());
        Assert.Equal("OK|", dom0.Send(MessageType.Watch, "@releaseDomain", "rel").Text());
        Assert.True(dom0.WaitForEvent("@releaseDomain", "rel", TimeSpan.FromSeconds(5)), "initial event");

        File.WriteAllText(Path.Combine(runDir, "anchor-ctl"), "kill 9\n");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (dom0.Send(MessageType.Read, "/local/domain/9").Text() != "ENOENT|" && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Equal("ENOENT|", dom0.Send(MessageType.Read, "/local/domain/9").Text());
        Assert.False(dom0.WaitForEvent("@releaseDomain", "rel", TimeSpan.FromMilliseconds(300)), "a domain never introduced fires no @releaseDomain");
    }
}

/// <summary>The reference daemons' hypervisor stand-in, built from the shared sources when needed.</summary>
internal static class XenShim
{
    public static string Build()
    {
        var shim = Path.Combine(TestEnvironment.XenCache, "anchor", "xenfake.so");
        var source = Path.Combine(TestEnvironment.AnchorDir, "xenfake.c");
        if (File.Exists(shim) && File.GetLastWriteTimeUtc(shim) >= File.GetLastWriteTimeUtc(source)) return shim;
        Directory.CreateDirectory(Path.GetDirectoryName(shim)!);
        var gcc = TestEnvironment.Run(TestEnvironment.RequireTool("gcc"), ["-O2", "-shared", "-fPIC", "-o", shim, source, "-ldl"]);
        Assert.True(gcc.ExitCode == 0, gcc.ToString());
        return shim;
    }
}
