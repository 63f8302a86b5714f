using System.Net.Sockets;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests.Infrastructure;

/// <summary>A xenstored that accepts connections and never answers: a socket nobody reads.</summary>
public sealed class SilentXenstored : IDisposable
{
    private readonly string runDir;
    private readonly Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public SilentXenstored(string tag)
    {
        runDir = TestEnvironment.NewRunDir(tag);
        SocketPath = Path.Combine(runDir, "socket");
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen();
    }

    public string SocketPath { get; }

    public void Dispose()
    {
        listener.Dispose();
        Directory.Delete(runDir, recursive: true);
    }
}
