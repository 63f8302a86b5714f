using XenStore.Client;
using XenStore.Daemon;
using XenStore.Transport;

namespace XenStore.Tests.Infrastructure;

/// <summary>A xenstored a test suite runs against: ours (over a socket or in-process) or a reference daemon.</summary>
public abstract class DaemonUnderTest : IDisposable
{
    public abstract string Name { get; }

    /// <summary>The daemon's Unix socket, for external clients (xenstore-utils, pyxs).</summary>
    public abstract string SocketPath { get; }

    /// <summary>True for our own daemon, false for cxenstored and oxenstored.</summary>
    public virtual bool IsOurs => false;

    public virtual Task<XenStoreClient> ConnectAsync() => XenStoreClient.ConnectSocketAsync(SocketPath);

    /// <summary>A fresh raw transport to the daemon, for clients built by hand.</summary>
    public virtual async Task<IXenStoreTransport> OpenTransportAsync() => await UnixSocketTransport.ConnectAsync(SocketPath);

    public abstract void Dispose();

    public override string ToString() => Name;
}

/// <summary>Our daemon hosted in the test process and served on a Unix socket.</summary>
public sealed class OurSocketDaemon : DaemonUnderTest
{
    private readonly UnixSocketServer server;
    private readonly string runDir = TestEnvironment.NewRunDir("ours");

    public OurSocketDaemon(DaemonOptions? options = null)
    {
        Daemon = new XenStoreDaemon(options ?? new DaemonOptions());
        server = UnixSocketServer.Start(Daemon, Path.Combine(runDir, "socket"));
    }

    public XenStoreDaemon Daemon { get; }
    public override string Name => "ours (socket)";
    public override string SocketPath => server.SocketPath;
    public override bool IsOurs => true;

    public override void Dispose()
    {
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Daemon.Dispose();
        try { Directory.Delete(runDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Our daemon reached through the in-process transport (no socket), plus a socket for external tools.</summary>
public sealed class OurInProcessDaemon : DaemonUnderTest
{
    private readonly OurSocketDaemon inner = new();

    public override string Name => "ours (in-process)";
    public override string SocketPath => inner.SocketPath;
    public override bool IsOurs => true;

    public override Task<XenStoreClient> ConnectAsync() =>
        Task.FromResult(XenStoreClient.Create(new InProcessTransport(inner.Daemon), _ => ValueTask.FromResult<IXenStoreTransport>(new InProcessTransport(inner.Daemon))));

    public override Task<IXenStoreTransport> OpenTransportAsync() => Task.FromResult<IXenStoreTransport>(new InProcessTransport(inner.Daemon));

    public override void Dispose() => inner.Dispose();
}

/// <summary>A real reference daemon started through the shared scripts.</summary>
public sealed class ReferenceDaemonUnderTest(string kind) : DaemonUnderTest
{
    private readonly ReferenceDaemon daemon = ReferenceDaemon.Start(kind, domains: "0-30");

    public override string Name => kind;
    public override string SocketPath => daemon.SocketPath;

    public override void Dispose() => daemon.Dispose();
}

/// <summary>cxenstored 4.17 as an xunit fixture.</summary>
public sealed class CxenstoredFixture() : DaemonFixture(new ReferenceDaemonUnderTest("cxenstored"));

/// <summary>oxenstored 4.17 as an xunit fixture.</summary>
public sealed class OxenstoredFixture() : DaemonFixture(new ReferenceDaemonUnderTest("oxenstored"));

/// <summary>Our daemon on a socket as an xunit fixture.</summary>
public sealed class OurSocketFixture() : DaemonFixture(new OurSocketDaemon());

/// <summary>Our daemon through the in-process transport as an xunit fixture.</summary>
public sealed class OurInProcessFixture() : DaemonFixture(new OurInProcessDaemon());

/// <summary>Holds one daemon for a test class.</summary>
public abstract class DaemonFixture(DaemonUnderTest daemon) : IDisposable
{
    public DaemonUnderTest Daemon { get; } = daemon;

    public void Dispose()
    {
        Daemon.Dispose();
        GC.SuppressFinalize(this);
    }
}
