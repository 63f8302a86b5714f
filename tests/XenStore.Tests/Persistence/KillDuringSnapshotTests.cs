using System.Net.Sockets;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace XenStore.Tests.Persistence;

/// <summary>
/// SIGKILL while snapshots and journal segment switches happen all the time (a snapshot
/// every 2000 bytes of journal): wherever the kill lands (a half-written snapshot file, a
/// snapshot renamed but its segments not yet deleted, a segment just created) the store
/// opens again, and every write acknowledged before the kill is in it.
/// </summary>
public sealed class KillDuringSnapshotTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryAcknowledgedWriteSurvivesSigkillDuringSnapshots()
    {
        var runDir = TestEnvironment.NewRunDir("killsnap");
        var store = Path.Combine(runDir, "store");
        string[] arguments = ["--persist", store, "--snapshot-after", "2000"];
        var acknowledged = new Dictionary<string, string>();
        var random = new Random(7);
        var lastCycle = new List<string>();
        var next = 0;
        var killedInSnapshot = 0;
        try
        {
            for (var cycle = 0; cycle < 13; cycle++)
            {
                // Start refuses (and the test fails) if recovery refuses the files the kill left.
                var daemon = StandaloneDaemon.Start(arguments, runDir: runDir);
                // The last cycle's writes all, and a sample of the older ones (all are read at the end).
                using (var check = new RawSocketClient(daemon.SocketPath))
                    foreach (var path in lastCycle.Concat(acknowledged.Keys.OrderBy(_ => random.Next()).Take(200)))
                        Assert.True(check.Send(MessageType.Read, path).Text() == acknowledged[path], $"cycle {cycle}: lost {path}");
                lastCycle.Clear();

                // Pipelined writes, replies counted as they come; killed at a random moment.
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(daemon.SocketPath));
                var sent = new Dictionary<uint, (string Path, string Value)>();
                var reader = new FrameReader();
                var buffer = new byte[65536];
                void Receive(int n)
                {
                    reader.Append(buffer.AsSpan(0, n));
                    while (reader.TryRead(out var reply) == FrameStatus.Message)
                    {
                        Assert.True(reply!.Type == MessageType.Write, $"cycle {cycle}: {reply}");
                        if (!sent.Remove(reply.ReqId, out var write)) continue;
                        acknowledged[write.Path] = write.Value;
                        lastCycle.Add(write.Path);
                    }
                }
                var killAt = DateTime.UtcNow.AddMilliseconds(random.Next(50, 300));
                try
                {
                    while (DateTime.UtcNow < killAt)
                    {
                        for (var i = 0; i < 32; i++)
                        {
                            var id = (uint)++next;
                            var (path, value) = ($"/k/n{id % 211}/v{id}", $"value-{id}".PadRight(80, '.'));
                            sent[id] = (path, value);
                            socket.Send(new Message(MessageType.Write, id, 0, [.. Payloads.Strings(path), .. Wire.Encode(value)]).ToBytes());
                        }
                        while (socket.Available > 0 || sent.Count > 256)
                        {
                            var n = socket.Receive(buffer);
                            if (n == 0) break;
                            Receive(n);
                        }
                    }
                }
                finally
                {
                    daemon.Kill();
                }
                // Replies already on their way when the kill came count as acknowledged too.
                try
                {
                    int n;
                    while ((n = socket.Receive(buffer)) > 0) Receive(n);
                }
                catch (SocketException) { }
                daemon.Dispose();
                // Evidence the kills land where they should: a snapshot file left half-written.
                if (Directory.GetFiles(runDir, "store.snapshot?*").Length > 0) killedInSnapshot++;
            }
            output.WriteLine($"{killedInSnapshot} of the kills left a snapshot in progress; {acknowledged.Count} writes acknowledged");
            Assert.True(acknowledged.Count > 500, $"only {acknowledged.Count} writes were acknowledged");
            Assert.True(File.Exists(store + ".snapshot"), "no snapshot was ever written: --snapshot-after did not take effect");
            using var final = StandaloneDaemon.Start(arguments, runDir: runDir);
            using var client = new RawSocketClient(final.SocketPath);
            foreach (var (path, value) in acknowledged)
                Assert.True(client.Send(MessageType.Read, path).Text() == value, $"finally: lost {path}");
        }
        finally
        {
            try { Directory.Delete(runDir, recursive: true); } catch (IOException) { }
        }
    }
}
