using System.Net.Sockets;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// The daemon as its own process, killed with SIGKILL in the middle of a stream of writes,
/// many times: after every restart each write it had acknowledged is there.
/// </summary>
public sealed class KillNineTests
{
    [Fact]
    public void EveryAcknowledgedWriteSurvivesSigkill()
    {
        var runDir = TestEnvironment.NewRunDir("kill9");
        var store = Path.Combine(runDir, "store");
        var acknowledged = new Dictionary<string, string>();
        var lastCycle = new Dictionary<string, string>();
        var random = new Random(42);
        var next = 0;
        try
        {
            for (var cycle = 0; cycle < 12; cycle++)
            {
                var daemon = StandaloneDaemon.Start(["--persist", store], runDir: runDir);
                // What the previous cycle had acknowledged is all there (the final check reads everything).
                using (var check = new RawSocketClient(daemon.SocketPath))
                    foreach (var (path, value) in lastCycle)
                        Assert.True(check.Send(MessageType.Read, path).Text() == value, $"cycle {cycle}: lost {path}");
                lastCycle.Clear();

                // Pipeline writes and count the replies that came back; kill at a random moment.
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(daemon.SocketPath));
                var sent = new Dictionary<uint, (string Path, string Value)>();
                var reader = new FrameReader();
                var killAt = DateTime.UtcNow.AddMilliseconds(random.Next(50, 400));
                var buffer = new byte[65536];
                try
                {
                    while (DateTime.UtcNow < killAt)
                    {
                        for (var i = 0; i < 32; i++)
                        {
                            var id = (uint)++next;
                            var path = $"/k/c{cycle}/n{id % 97}/v{id}";
                            var value = $"value-{id}";
                            sent[id] = (path, value);
                            socket.Send(new Message(MessageType.Write, id, 0, [.. Payloads.Strings(path), .. Wire.Encode(value)]).ToBytes());
                        }
                        while (socket.Available > 0 || sent.Count > 256)
                        {
                            var n = socket.Receive(buffer);
                            if (n == 0) break;
                            reader.Append(buffer.AsSpan(0, n));
                            while (reader.TryRead(out var reply) == FrameStatus.Message)
                            {
                                Assert.Equal(MessageType.Write, reply!.Type);
                                var (p, v) = sent[reply.ReqId];
                                sent.Remove(reply.ReqId);
                                acknowledged[p] = v;
                                lastCycle[p] = v;
                            }
                        }
                    }
                }
                finally
                {
                    daemon.Kill();
                }
                // Replies that were already on their way count as acknowledged too.
                try
                {
                    int n;
                    while ((n = socket.Receive(buffer)) > 0)
                    {
                        reader.Append(buffer.AsSpan(0, n));
                        while (reader.TryRead(out var reply) == FrameStatus.Message)
                        {
                            var (p, v) = sent[reply!.ReqId];
                            acknowledged[p] = v;
                            lastCycle[p] = v;
                        }
                    }
                }
                catch (SocketException) { }
                daemon.Dispose();
            }
            Assert.True(acknowledged.Count > 500, $"only {acknowledged.Count} writes were acknowledged");
            using var final = StandaloneDaemon.Start(["--persist", store], runDir: runDir);
            using var client = new RawSocketClient(final.SocketPath);
            foreach (var (path, value) in acknowledged)
                Assert.Equal(value, client.Send(MessageType.Read, path).Text());
        }
        finally
        {
            try { Directory.Delete(runDir, recursive: true); } catch (IOException) { }
        }
    }
}
