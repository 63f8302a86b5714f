using System.Net.Sockets;
using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Security;

/// <summary>
/// The bugs seen in the reference daemons themselves (xenstored-security.md, "do not copy"),
/// each replayed against ours.
/// </summary>
public sealed class ObservedBugTests : IDisposable
{
    private readonly XenStoreDaemon daemon = new(new DaemonOptions { Quotas = new QuotaSettings { Watches = 4, Transactions = 3 } });
    private readonly InProcessClient dom0;

    public ObservedBugTests() => dom0 = new InProcessClient(daemon);

    public void Dispose() => daemon.Dispose();

    private void StillServes() => Assert.Equal("OK|", dom0.Write("/health/check", Guid.NewGuid().ToString()).Text());

    [Fact]
    public void CxenstoredCrash_ReleasingATargetTwiceThenLosingTheStubDomain()
    {
        dom0.Ok(dom0.Send(MessageType.Introduce, "7", "1", "1"));
        dom0.Ok(dom0.Send(MessageType.Introduce, "9", "1", "1"));
        dom0.Ok(dom0.Send(MessageType.SetTarget, "9", "7"));
        dom0.Ok(dom0.Send(MessageType.Release, "7"));
        Assert.Equal("ENOENT", dom0.Send(MessageType.Release, "7").ErrorName());
        dom0.Ok(dom0.Send(MessageType.Release, "9"));
        Assert.Equal("F|", dom0.Send(MessageType.IsDomainIntroduced, "9").Text());
        StillServes();
    }

    [Fact]
    public void OxenstoredRmRoot_TheRootCannotBeRemoved()
    {
        Assert.Equal("EINVAL", dom0.Send(MessageType.Rm, "/").ErrorName());
        Assert.Equal("", dom0.Send(MessageType.Read, "/tool/xenstored").Text());
        StillServes();
    }

    [Fact]
    public void OxenstoredZeroLength_ARequestWithoutPayloadIsAnsweredAtOnce()
    {
        var client = new StalledConnection(daemon, 0, privileged: true);
        var reader = new FrameReader();
        var header = new byte[Wire.HeaderSize];
        Wire.WriteHeader(header, MessageType.TransactionStart, 1, 0, 0);
        reader.Append(header);
        Assert.Equal(FrameStatus.Incomplete, client.Connection.ProcessAvailable(reader));
        var reply = Assert.Single(client.TakeAll());
        Assert.Equal(MessageType.TransactionStart, reply.Type);
        Wire.WriteHeader(header, MessageType.ResetWatches, 2, 0, 0);
        reader.Append(header);
        client.Connection.ProcessAvailable(reader);
        Assert.Equal("OK|", Assert.Single(client.TakeAll()).Text());
    }

    [Fact]
    public async Task OxenstoredOversizeHeader_TheSocketIsClosedNotDesynchronised()
    {
        var runDir = TestEnvironment.NewRunDir("oversize");
        await using var server = UnixSocketServer.Start(daemon, Path.Combine(runDir, "socket"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(server.SocketPath));
        socket.ReceiveTimeout = 10_000;
        var header = new byte[Wire.HeaderSize];
        Wire.WriteHeader(header, MessageType.Write, 1, 0, Wire.PayloadMax + 904);
        // A "payload" that would parse as a valid WRITE if the daemon read 4096 bytes and went on.
        var smuggled = new Message(MessageType.Write, 2, 0, [.. Payloads.Strings("/smuggled"), .. "x"u8]).ToBytes();
        var body = new byte[Wire.PayloadMax + 904];
        smuggled.CopyTo(body, Wire.PayloadMax);
        socket.Send(header);
        try
        {
            socket.Send(body);
            Assert.Equal(0, socket.Receive(new byte[64]));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown) { }
        Assert.Equal("ENOENT", dom0.Send(MessageType.Read, "/smuggled").ErrorName());
        StillServes();
        Directory.Delete(runDir, recursive: true);
    }

    [Theory]
    [InlineData("/tool")]
    [InlineData("/tool\0\0")]
    [InlineData("/tool\0extra\0")]
    public void CxenstoredStaleErrno_AMalformedOneArgumentPayloadIsEinval(string payload)
    {
        var reply = dom0.SendRaw(new Message(MessageType.Read, 99, 0, Wire.Encode(payload)));
        Assert.Equal("EINVAL", reply.ErrorName());
        StillServes();
    }

    [Fact]
    public void OffByOneQuotas_TheQuotaIsTheLimitNotOneLess()
    {
        dom0.Ok(dom0.Send(MessageType.Introduce, "5", "1", "1"));
        var g = new InProcessClient(daemon, 5, privileged: false);
        var watches = Enumerable.Range(0, 6).Select(i => g.Send(MessageType.Watch, "data", $"t{i}").Text()).ToList();
        Assert.Equal(4, watches.Count(r => r == "OK|"));
        var transactions = Enumerable.Range(0, 5).Select(_ => g.Send(MessageType.TransactionStart, "").Text()).ToList();
        Assert.Equal(3, transactions.Count(r => r != "ENOSPC|"));
    }
}
