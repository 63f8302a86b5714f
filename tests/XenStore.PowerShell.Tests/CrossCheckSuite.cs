using XenStore.PowerShell.Tests.Infrastructure;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests;

/// <summary>The module and Debian's xenstore-utils on one daemon: each sees what the other did.</summary>
public abstract class CrossCheckSuite(string socketPath) : IDisposable
{
    private readonly EngineSession session = CreateSession(socketPath);
    private readonly string store = "/crosscheck/c" + Guid.NewGuid().ToString("N")[..8];

    private static EngineSession CreateSession(string socket)
    {
        var session = new EngineSession();
        session.Run($"Connect-XenStore -Name C -SocketPath '{socket}' | Out-Null");
        return session;
    }

    private string Tool(string name, params string[] args)
    {
        var result = TestEnvironment.Run(TestEnvironment.RequireTool(name), args, new Dictionary<string, string> { ["XENSTORED_PATH"] = socketPath });
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    [Fact]
    public void WhatSetItemWritesXenstoreReadReads()
    {
        session.Run($"$ExecutionContext.InvokeProvider.Item.New('C:{store}/a', $null, 'node', 'first') | Out-Null");
        session.Run($"$ExecutionContext.InvokeProvider.Item.Set('C:{store}/a', 'set by PowerShell') | Out-Null");
        Assert.Equal("set by PowerShell\n", Tool("xenstore-read", $"{store}/a"));
        Assert.Contains($"{store}/a = \"set by PowerShell\"", Tool("xenstore-ls", "-f", store));
    }

    [Fact]
    public void WhatXenstoreWriteWritesFiresTheWatchersChangedEvent()
    {
        Tool("xenstore-write", $"{store}/w", "");
        session.Run($"$global:w = Watch-XenStore -Path 'C:{store}/w'");
        session.Run("$ExecutionContext.Events.SubscribeEvent($global:w, 'Changed', 'cross', $null, $null, $false, $false) | Out-Null");
        List<string> Received() => session.Run("Get-Event -SourceIdentifier 'cross' -ErrorAction Ignore | ForEach-Object { $_.SourceEventArgs.Path }")
            .Select(o => o.ToString()).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Received().Count < 1 && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Tool("xenstore-write", $"{store}/w/by-utils", "1");
        while (!Received().Contains($"{store}/w/by-utils") && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Contains($"{store}/w/by-utils", Received());
        session.Run("$global:w.Dispose()");
    }

    [Fact]
    public void PermissionsSetByTheModuleShowInXenstoreLs()
    {
        Tool("xenstore-write", $"{store}/p", "v");
        session.Run($"Set-XenStorePermission -Path 'C:{store}/p' -Owner 0 -Read 3");
        Assert.Contains("(n0,r3)", Tool("xenstore-ls", "-p", store));
    }

    public void Dispose()
    {
        TestEnvironment.Run("xenstore-rm", [store], new Dictionary<string, string> { ["XENSTORED_PATH"] = socketPath });
        session.Dispose();
        GC.SuppressFinalize(this);
    }
}

[Trait("Needs", "peers")]
public sealed class CrossCheckOnOurDaemon(OurDaemonProcess daemon) : CrossCheckSuite(daemon.Daemon.SocketPath), IClassFixture<OurDaemonProcess>;
[Trait("Needs", "peers")]
public sealed class CrossCheckOnCxenstored(Cxenstored daemon) : CrossCheckSuite(daemon.Daemon.SocketPath), IClassFixture<Cxenstored>;
