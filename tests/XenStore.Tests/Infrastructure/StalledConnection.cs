using XenStore.Daemon;
using XenStore.Protocol;

namespace XenStore.Tests.Infrastructure;

/// <summary>
/// A daemon connection whose client sends requests and does not read anything until told:
/// what it leaves queued is exactly what the daemon holds for it.
/// </summary>
public sealed class StalledConnection(XenStoreDaemon daemon, uint domid, bool privileged = false)
{
    private uint nextReqId = 1;

    public DaemonConnection Connection { get; } = daemon.Connect(domid, privileged, $"stalled domain {domid}");

    public void Send(MessageType type, params string[] args) =>
        Connection.Process(new Message(type, nextReqId++, 0, Payloads.Strings(args)));

    /// <summary>Reads everything queued at last: replies and events in order.</summary>
    public List<Message> TakeAll()
    {
        var reader = new FrameReader();
        while (Connection.TryTakeOutput(out var buffer, out var length))
        {
            reader.Append(buffer.AsSpan(0, length));
            DaemonConnection.ReturnOutput(buffer);
        }
        var messages = new List<Message>();
        while (reader.TryRead(out var message) == FrameStatus.Message) messages.Add(message!);
        return messages;
    }
}
