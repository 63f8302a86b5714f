using XenStore.Daemon.Persistence;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// What the request being handled has changed so far, gathered rather than acted on: the
/// journal entries, how to undo each change, and the outputs (watch events and replies) in
/// the order the handler produced them. The commit path (<see cref="XenStoreDaemon"/>'s
/// <c>Settle</c>) then either journals the entries and releases the outputs, or undoes the
/// changes and answers the journal's error: nothing is reported before it is journalled, and
/// nothing refused stays applied. One instance serves every request, under the daemon lock.
/// </summary>
internal sealed class ChangeSet
{
    private readonly List<IUndoable> participants = [];
    private readonly List<Action> undo = [];
    private readonly List<Action> afterCommit = [];

    /// <param name="journaling">Whether entries are kept (a persistent store); without a journal they are not even made.</param>
    public ChangeSet(bool journaling) => Journaling = journaling;

    /// <summary>True when changes must be journalled: callers make entries only then (off while the journal is replayed).</summary>
    public bool Journaling { get; set; }

    /// <summary>Journal entries of the changes, in order.</summary>
    public List<JournalOp> Entries { get; } = [];

    /// <summary>Events and replies, in the order they leave once the changes are journalled.</summary>
    public List<PendingOutput> Outputs { get; } = [];

    public void Record(JournalOp entry) => Entries.Add(entry);

    /// <summary>Enlists a store that saves its state at its first change and is told how the change set ends.</summary>
    public void Enlist(IUndoable participant)
    {
        if (!participants.Contains(participant)) participants.Add(participant);
    }

    /// <summary>How to undo one change if the change set is refused.</summary>
    public void OnUndo(Action action) => undo.Add(action);

    /// <summary>A side effect that cannot be undone (stopping a ring), done only once the changes are kept.</summary>
    public void AfterCommit(Action action) => afterCommit.Add(action);

    public void Notify(ChangeEvent change) => Outputs.Add(new PendingOutput(OutputKind.Change, null, change));

    public void NotifySpecial(string name) => Outputs.Add(new PendingOutput(OutputKind.Special, null, default, name));

    public void Event(DaemonConnection connection, string path, string token) =>
        Outputs.Add(new PendingOutput(OutputKind.Event, connection, default, path, token));

    public void Reply(DaemonConnection connection, MessageType type, uint reqId, uint txId, byte[] payload) =>
        Outputs.Add(new PendingOutput(OutputKind.Reply, connection, default, null, null, type, reqId, txId, payload));

    /// <summary>The changes are kept: forget how to undo them and do what had to wait for this.</summary>
    public void Commit()
    {
        foreach (var p in participants) p.Commit();
        var effects = afterCommit.ToArray();
        Forget();
        foreach (var effect in effects) effect();
    }

    /// <summary>The changes are refused: undo them, newest first, and drop their outputs.</summary>
    public void Undo()
    {
        for (var i = undo.Count - 1; i >= 0; i--) undo[i]();
        foreach (var p in participants) p.Undo();
        Forget();
        Outputs.Clear();
    }

    private void Forget()
    {
        Entries.Clear();
        participants.Clear();
        undo.Clear();
        afterCommit.Clear();
    }
}

/// <summary>A store that can put back the state it had before the current change set.</summary>
internal interface IUndoable
{
    void Commit();
    void Undo();
}

internal enum OutputKind : byte
{
    /// <summary>A node changed: every watch it matches and that may see it fires.</summary>
    Change,
    /// <summary>@introduceDomain or @releaseDomain fires.</summary>
    Special,
    /// <summary>One event for one connection (a new watch firing once).</summary>
    Event,
    /// <summary>The reply to a request.</summary>
    Reply,
}

/// <summary>One output waiting for its request's changes to be journalled.</summary>
internal readonly record struct PendingOutput(
    OutputKind Kind, DaemonConnection? Connection, ChangeEvent Change, string? Path = null, string? Token = null,
    MessageType Type = default, uint ReqId = 0, uint TxId = 0, byte[]? Payload = null);
