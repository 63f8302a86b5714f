using System.Net.Sockets;
using XenStore.Client;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Client;

/// <summary>A xenstored that stops answering: with a request timeout the caller gets an error, not a hang.</summary>
public sealed class RequestTimeoutTests
{
    [Fact]
    public async Task ARequestWithoutAReplyFailsAfterTheTimeoutAndALateReplyIsIgnored()
    {
        var runDir = TestEnvironment.NewRunDir("timeout");
        var socketPath = Path.Combine(runDir, "socket");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        await using var client = await XenStoreClient.ConnectSocketAsync(socketPath);
        client.RequestTimeout = TimeSpan.FromMilliseconds(200);
        using var server = await listener.AcceptAsync();

        // The "daemon" reads the request and says nothing.
        var unanswered = client.ReadStringAsync("/silent");
        var first = await ReceiveRequest(server);
        var error = await Assert.ThrowsAsync<TimeoutException>(() => unanswered);
        Assert.Contains("/silent", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.PendingRequests);

        // Its late reply is dropped; the next request gets its own answer.
        var next = client.ReadStringAsync("/answered");
        var second = await ReceiveRequest(server);
        await server.SendAsync(new Message(MessageType.Read, first.ReqId, 0, Wire.Encode("late")).ToBytes());
        await server.SendAsync(new Message(MessageType.Read, second.ReqId, 0, Wire.Encode("on time")).ToBytes());
        Assert.Equal("on time", await next);
        Directory.Delete(runDir, recursive: true);
    }

    private static async Task<Message> ReceiveRequest(Socket server)
    {
        var reader = new FrameReader();
        while (true)
        {
            var n = await server.ReceiveAsync(reader.GetWriteMemory());
            Assert.True(n > 0, "the client closed the connection");
            reader.Commit(n);
            if (reader.TryRead(out var message) == FrameStatus.Message) return message!;
        }
    }
}
