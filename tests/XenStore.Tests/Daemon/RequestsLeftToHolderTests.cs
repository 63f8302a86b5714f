using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Daemon;

/// <summary>
/// A request that finds the lock held is run by the holder at its next request boundary, and
/// its thread goes on without ever taking the lock: the test thread holds the lock throughout,
/// so a connection whose thread returns answered was run by the holder. Under fsync-always
/// nothing is left to the holder, whose replies leave on its own sync.
/// </summary>
public sealed class RequestsLeftToHolderTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly string directory = TestEnvironment.NewRunDir("holder");

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void ARequestThatFindsTheLockHeldIsRunByTheHolderAndItsThreadNeedsNoLock()
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions());
        var writer = daemon.Connect();
        var reader = daemon.Connect();
        var (waiting, status) = StartBlocked(daemon, reader, Message.WithStrings(MessageType.Read, 7, 0, "/a"));
        try
        {
            Assert.True(SpinWait.SpinUntil(() => reader.Left.Reader is not null, Patience), "the blocked connection never left its requests to the holder");
            writer.ProcessAvailable(Frames(Message.WithStrings(MessageType.Write, 1, 0, "/a", "1"), Message.WithStrings(MessageType.Write, 2, 0, "/b", "2")));

            // Run after the holder's first write, before its second, on the holder's thread;
            // and the reader's thread is done although the lock was never free.
            Assert.Equal([(MessageType.Read, 7u, "1")], Replies(reader));
            Assert.True(waiting.Join(Patience), "the reader's thread still waits");
            Assert.Equal(FrameStatus.Incomplete, status());
            Assert.Equal([(MessageType.Write, 1u, "OK"), (MessageType.Write, 2u, "OK")], Replies(writer));
        }
        finally
        {
            Monitor.Exit(daemon.Sync);
        }
    }

    [Fact]
    public void UnderFsyncAlwaysEachConnectionRunsItsOwnRequests()
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions
        {
            Persistence = new PersistenceOptions(Path.Combine(directory, "store")) { Fsync = FsyncPolicy.Always },
        });
        var writer = daemon.Connect();
        var reader = daemon.Connect();
        var (waiting, status) = StartBlocked(daemon, reader, Message.WithStrings(MessageType.Read, 7, 0, "/a"));
        try
        {
            Assert.True(SpinWait.SpinUntil(() => waiting.ThreadState.HasFlag(ThreadState.WaitSleepJoin), Patience));
            writer.ProcessAvailable(Frames(Message.WithStrings(MessageType.Write, 1, 0, "/a", "1"), Message.WithStrings(MessageType.Write, 2, 0, "/b", "2")));
            Assert.Null(reader.Left.Reader);
            Assert.Empty(Replies(reader));
        }
        finally
        {
            Monitor.Exit(daemon.Sync);
        }
        Assert.True(waiting.Join(Patience));
        Assert.Equal(FrameStatus.Incomplete, status());
        Assert.Equal([(MessageType.Read, 7u, "1")], Replies(reader));
    }

    /// <summary>Takes the lock on this thread, then starts <paramref name="connection"/>'s requests on another, which blocks on it.</summary>
    private static (Thread Waiting, Func<FrameStatus> Status) StartBlocked(XenStoreDaemon daemon, DaemonConnection connection, Message request)
    {
        Monitor.Enter(daemon.Sync);
        var status = FrameStatus.Message;
        var frames = Frames(request);
        var thread = new Thread(() => status = connection.ProcessAvailable(frames)) { IsBackground = true };
        thread.Start();
        return (thread, () => status);
    }

    private static FrameReader Frames(params Message[] messages)
    {
        var reader = new FrameReader();
        foreach (var message in messages)
        {
            var bytes = message.ToBytes();
            bytes.CopyTo(reader.GetWriteMemory());
            reader.Commit(bytes.Length);
        }
        return reader;
    }

    private static List<(MessageType Type, uint ReqId, string Payload)> Replies(DaemonConnection connection)
    {
        var replies = new List<(MessageType, uint, string)>();
        while (connection.TryTakeOutput(out var buffer, out var length))
        {
            var frames = new FrameReader();
            buffer.AsSpan(0, length).CopyTo(frames.GetWriteMemory().Span);
            frames.Commit(length);
            DaemonConnection.ReturnOutput(buffer);
            while (frames.TryRead(out var reply) == FrameStatus.Message)
                replies.Add((reply!.Type, reply.ReqId, Wire.Decode(reply.Payload).TrimEnd('\0')));
        }
        return replies;
    }
}
