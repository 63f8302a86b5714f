using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// A trusted dom0 connection of the target's own, to set the stage and to question the
/// daemon after the fuzzed client is done. Its replies are checked like the client's.
/// </summary>
internal sealed class Probe(XenStoreDaemon daemon)
{
    private readonly DaemonConnection connection = daemon.Connect(0, privileged: true, "fuzz probe");
    private readonly ReplyChecker checker = new();
    private uint nextReqId = 1;

    /// <summary>Sends a request of string arguments and returns its reply (which may be an error).</summary>
    public Message Ask(MessageType type, params string[] args) =>
        Ask(new Message(type, nextReqId++, 0, Payloads.Strings(args)));

    /// <summary>Like <see cref="Ask(MessageType, string[])"/>, and the reply must not be an error.</summary>
    public Message Must(MessageType type, params string[] args)
    {
        var reply = Ask(type, args);
        Check.That(reply.Type == type, $"the daemon still answers dom0's {type} {string.Join(' ', args)} (got {reply})");
        return reply;
    }

    /// <summary>WRITE of a path and a value.</summary>
    public Message Write(string path, string value) =>
        Ask(new Message(MessageType.Write, nextReqId++, 0, [.. Payloads.Strings(path), .. Wire.Encode(value)]));

    private Message Ask(Message request)
    {
        checker.Expect(request);
        var before = checker.Replies;
        connection.Process(request);
        checker.Drain(connection);
        Check.That(checker.Replies == before + 1 && checker.Unanswered == 0, $"the daemon answers {request} at once");
        return checker.LastReply!;
    }
}
