using System.Diagnostics;
using System.Text;
using XenStore.Daemon;
using XenStore.Protocol;

/// <summary>
/// Each collection during a host-shaped fill, then during a READ of every node: its
/// generation, pause and bytes promoted, so a pause can be traced to what the collector had to
/// copy (the fill keeps most of what it allocates; the reads keep nothing).
/// </summary>
internal static class PauseProbe
{
    public static void Run(int domains, int nodes)
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions { CreateDom0Nodes = false });
        var conn = daemon.Connect();
        uint req = 0;
        long lastIndex = 0;
        var rows = new List<string>();
        var sw = Stopwatch.StartNew();

        void Pass(MessageType type, string suffix)
        {
            for (var d = 1; d <= domains; d++)
                for (var i = 0; i < nodes; i++)
                {
                    conn.Process(new Message(type, ++req, 0, Encoding.ASCII.GetBytes($"/local/domain/{d}/data/k{i}\0{suffix}")));
                    if ((i & 63) != 0) continue;
                    while (conn.TryTakeOutput(out var buf, out _)) DaemonConnection.ReturnOutput(buf);
                    var info = GC.GetGCMemoryInfo(GCKind.Any);
                    if (info.Index == lastIndex) continue;
                    lastIndex = info.Index;
                    rows.Add($"{sw.Elapsed.TotalSeconds,6:F2}s #{info.Index} gen{info.Generation} {(info.Concurrent ? "bg" : "  ")} pause {info.PauseDurations[0].TotalMilliseconds,6:F2} ms " +
                        $"promoted {info.PromotedBytes >> 10,7} KiB heap {info.HeapSizeBytes >> 20,4} MiB nodes {daemon.NodeCount}");
                }
        }

        Pass(MessageType.Write, "v");
        var filled = sw.Elapsed;
        rows.Add("reads:");
        Pass(MessageType.Read, "");
        foreach (var r in rows) Console.WriteLine(r);
        Console.WriteLine($"fill {filled.TotalSeconds:F2} s, gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}, pauses {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms (reads included)");
    }
}
