namespace XenStore.Daemon;

/// <summary>The hosted xenstored. (Stub: being written.)</summary>
public sealed partial class XenStoreDaemon : IDisposable
{
    public XenStoreDaemon(DaemonOptions? options = null) => Options = options ?? new DaemonOptions();

    public DaemonOptions Options { get; }

    public void Dispose() { }
}
