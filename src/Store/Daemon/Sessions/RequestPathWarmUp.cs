using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// Runs the socket request path once before a host serves, so that its first client does not
/// wait while the runtime compiles it: on a just-started JIT host the first READ took 14-48 ms
/// (bench/results.md, Scale), every one after it well under a millisecond. The requests go to
/// a scratch daemon on a scratch socket, so nothing of them reaches the real store, its
/// journal or its watchers; compiled code is shared by every daemon of the process.
/// </summary>
public static class RequestPathWarmUp
{
    /// <summary>Rounds of the request mix; enough for each method to be compiled and its call counting to start.</summary>
    private const int Rounds = 40;

    /// <summary>Requests in flight at once in a round, so the framing of a pipelined batch is compiled too.</summary>
    private const int Pipelined = 16;

    /// <summary>
    /// Compiles the request path by use; returns at once where there is nothing to compile (a
    /// Native AOT host). Never throws: a failed warm-up only
    /// leaves the first request slow.
    /// </summary>
    public static async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled) return;
        DirectoryInfo? scratch = null;
        try
        {
            // Made as mkdtemp makes it (mode 0700), so no other user reaches the scratch socket,
            // whose connections are privileged like every socket connection's.
            scratch = Directory.CreateTempSubdirectory("xenstored-warmup-");
            using var daemon = new XenStoreDaemon(new DaemonOptions());
            await using var server = UnixSocketServer.Start(daemon, Path.Combine(scratch.FullName, "socket"));
            // Plain frames on a plain socket: the client library would compile its own code too
            // for nothing a daemon runs (an idle host: 40.0 MB resident against 41.0 MB).
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(server.SocketPath), cancellationToken).ConfigureAwait(false);
            var replies = new FrameReader();
            for (var round = 0; round < Rounds; round++) await RunRoundAsync(socket, replies, round, cancellationToken).ConfigureAwait(false);
            await RunLargeDirectoryAsync(socket, replies, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or SocketException or FormatException)
        {
            // The first client pays instead.
        }
        finally
        {
            try
            {
                scratch?.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>One of each request a busy host serves most: pipelined writes, reads, listings, permissions, a watch, a transaction.</summary>
    private static async Task RunRoundAsync(Socket socket, FrameReader replies, int round, CancellationToken cancellationToken)
    {
        var directory = $"/warmup/r{round}";
        var batch = new List<Message>();
        for (var i = 0; i < Pipelined; i++) batch.Add(Message.WithStrings(MessageType.Write, 0, 0, $"{directory}/k{i}", "v"));
        batch.Add(Message.WithStrings(MessageType.Read, 0, 0, $"{directory}/k0"));
        batch.Add(Message.WithStrings(MessageType.Read, 0, 0, $"{directory}/missing"));
        batch.Add(Message.WithStrings(MessageType.Directory, 0, 0, directory));
        batch.Add(Message.WithStrings(MessageType.GetPerms, 0, 0, directory));
        batch.Add(Message.WithStrings(MessageType.SetPerms, 0, 0, directory, "n0"));
        batch.Add(Message.WithStrings(MessageType.Watch, 0, 0, directory, "warmup"));
        batch.Add(Message.WithStrings(MessageType.Write, 0, 0, $"{directory}/watched", "v"));
        batch.Add(Message.WithStrings(MessageType.Unwatch, 0, 0, directory, "warmup"));
        batch.Add(Message.WithStrings(MessageType.TransactionStart, 0, 0, ""));
        var transaction = await ExchangeAsync(socket, replies, batch, cancellationToken).ConfigureAwait(false);
        var id = uint.Parse(Wire.Decode(transaction.Payload).TrimEnd('\0'), CultureInfo.InvariantCulture);
        await ExchangeAsync(socket, replies,
        [
            Message.WithStrings(MessageType.Read, 0, id, $"{directory}/k1"),
            Message.WithStrings(MessageType.Write, 0, id, $"{directory}/k1", "w"),
            Message.WithStrings(MessageType.TransactionEnd, 0, id, "T"),
            Message.WithStrings(MessageType.Rm, 0, 0, directory),
        ], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Children enough for a large directory's map (past <see cref="Tree.ChildMap.ArrayLimit"/>)
    /// to grow its log and table a few times: a host's first domains pass them within a second, and
    /// the methods they compile, about twenty, held the first READs of a fill for milliseconds.
    /// </summary>
    private const int LargeDirectoryChildren = 300;

    /// <summary>A directory grown past the small map's size, read, listed, a child removed, then removed.</summary>
    private static async Task RunLargeDirectoryAsync(Socket socket, FrameReader replies, CancellationToken cancellationToken)
    {
        const string directory = "/warmup/large";
        for (var first = 0; first < LargeDirectoryChildren; first += Pipelined)
        {
            var batch = new List<Message>();
            for (var i = first; i < Math.Min(first + Pipelined, LargeDirectoryChildren); i++) batch.Add(Message.WithStrings(MessageType.Write, 0, 0, $"{directory}/k{i}", "v"));
            await ExchangeAsync(socket, replies, batch, cancellationToken).ConfigureAwait(false);
        }
        await ExchangeAsync(socket, replies,
        [
            Message.WithStrings(MessageType.Read, 0, 0, $"{directory}/k1"),
            Message.WithStrings(MessageType.Read, 0, 0, $"{directory}/missing"),
            Message.WithStrings(MessageType.Write, 0, 0, $"{directory}/k2", "w"),
            Message.WithStrings(MessageType.Directory, 0, 0, directory),
            Message.WithStrings(MessageType.Rm, 0, 0, $"{directory}/k3"),
            Message.WithStrings(MessageType.Rm, 0, 0, directory),
        ], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="requests"/> at once and reads until each is answered; returns the last reply (watch events are skipped).</summary>
    private static async Task<Message> ExchangeAsync(Socket socket, FrameReader replies, List<Message> requests, CancellationToken cancellationToken)
    {
        var frames = requests.SelectMany(request => request.ToBytes()).ToArray();
        for (var sent = 0; sent < frames.Length;)
            sent += await socket.SendAsync(frames.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        Message? last = null;
        for (var answered = 0; answered < requests.Count;)
        {
            if (replies.TryRead(out var reply) == FrameStatus.Message)
            {
                if (reply!.Type == MessageType.WatchEvent) continue;
                answered++;
                last = reply;
                continue;
            }
            var received = await socket.ReceiveAsync(replies.GetWriteMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0) throw new IOException("The scratch daemon closed the warm-up's connection.");
            replies.Commit(received);
        }
        return last!;
    }
}
