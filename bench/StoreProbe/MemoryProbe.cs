using System.Text;
using XenStore.Daemon;
using XenStore.Protocol;

/// <summary>The managed heap per node of a host-shaped store, after a full collection.</summary>
internal static class MemoryProbe
{
    public static void Run(int domains, int nodes)
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions { CreateDom0Nodes = false });
        var conn = daemon.Connect();
        uint req = 0;
        var before = Heap();
        for (var d = 1; d <= domains; d++)
        {
            for (var i = 0; i < nodes; i++)
                conn.Process(new Message(MessageType.Write, ++req, 0, Encoding.ASCII.GetBytes($"/local/domain/{d}/data/k{i}\0v")));
            while (conn.TryTakeOutput(out var buf, out _)) DaemonConnection.ReturnOutput(buf);
        }
        var after = Heap();
        Console.WriteLine($"nodes {daemon.NodeCount}: managed heap {(after - before) / (double)daemon.NodeCount:F1} B/node ({(after - before) >> 20} MiB)");
        GC.KeepAlive(daemon);
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
