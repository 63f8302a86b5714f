using XenStore.Protocol;

namespace XenStore.Tests.Differential;

/// <summary>One request of a differential case: on which connection, in which transaction, what bytes.</summary>
public sealed record Step(MessageType Type, string[] Args, byte[]? Value = null, int Connection = 0, bool InTransaction = false, byte[]? Payload = null, byte[]? RawBytes = null, uint? TxId = null)
{
    /// <summary>The same request on connection <paramref name="connection"/> (0–2).</summary>
    public Step On(int connection) => this with { Connection = connection };

    /// <summary>The same request inside the connection's last started transaction.</summary>
    public Step InTx() => this with { InTransaction = true };

    /// <summary>The same request with an explicit transaction id.</summary>
    public Step WithTx(uint id) => this with { TxId = id };
}

/// <summary>
/// A named request sequence sent to our daemon and to cxenstored; the transcripts of replies
/// and watch events must be equal, except for the steps where the protocol digest's
/// Recommendation makes ours answer differently: those carry our expected reply and the reason.
/// </summary>
public sealed class DiffCase(string name, Step[] steps)
{
    public string Name { get; } = name;
    public Step[] Steps { get; } = steps;

    /// <summary>Step index → our expected reply line ("ERROR EINVAL|"), where we deliberately differ.</summary>
    public Dictionary<int, string> OurReplies { get; } = [];

    /// <summary>Why ours differs, for the reader of a failure.</summary>
    public string? Deviation { get; private set; }

    /// <summary>Declares that at step <paramref name="index"/> our daemon answers <paramref name="reply"/>, because <paramref name="reason"/>.</summary>
    public DiffCase Ours(int index, string reply, string reason)
    {
        OurReplies[index] = reply;
        Deviation = reason;
        return this;
    }

    public override string ToString() => Name;
}

/// <summary>Shorthand for writing cases.</summary>
public static class Steps
{
    public static Step S(MessageType type, params string[] args) => new(type, args);
    public static Step Read(string path) => S(MessageType.Read, path);
    public static Step Write(string path, string value) => new(MessageType.Write, [path], Wire.Encode(value));
    public static Step WriteBytes(string path, byte[] value) => new(MessageType.Write, [path], value);
    public static Step Mkdir(string path) => S(MessageType.Mkdir, path);
    public static Step Rm(string path) => S(MessageType.Rm, path);
    public static Step Dir(string path) => S(MessageType.Directory, path);
    public static Step GetPerms(string path) => S(MessageType.GetPerms, path);
    public static Step SetPerms(string path, params string[] perms) => S(MessageType.SetPerms, [path, .. perms]);
    public static Step Watch(string path, string token) => S(MessageType.Watch, path, token);
    public static Step Unwatch(string path, string token) => S(MessageType.Unwatch, path, token);
    public static Step Start() => S(MessageType.TransactionStart, "");
    public static Step Commit() => S(MessageType.TransactionEnd, "T").InTx();
    public static Step Abort() => S(MessageType.TransactionEnd, "F").InTx();

    /// <summary>Bytes sent as they are (malformed input); the header's req_id should be the step number.</summary>
    public static Step Raw(byte[] bytes) => new(MessageType.Read, [], RawBytes: bytes);

    /// <summary>A message with a given type and exact payload bytes ({p} is not expanded).</summary>
    public static Step Message(MessageType type, byte[] payload) => new(type, [], Payload: payload);

    /// <summary>A message with a given type and a payload given as text, NULs written as '|' ({p} expanded).</summary>
    public static Step Message(MessageType type, string payload) => new(type, [payload], Payload: []);

    public static DiffCase Case(string name, params Step[] steps) => new(name, steps);
}
