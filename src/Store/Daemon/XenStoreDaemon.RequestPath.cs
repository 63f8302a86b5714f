using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// The path of every request, in one place: checks from its <see cref="MessageTable"/> row,
/// the handler (which changes the stores and gathers its outputs in <see cref="Changes"/>),
/// the journal commit, then the watch events and the reply. A change the journal refuses is
/// undone and answered with the journal's error; with fsync always, outputs wait (outside
/// the lock) until the changes they report are on disk.
/// </summary>
public sealed partial class XenStoreDaemon
{
    /// <summary>Trace every message (CONTROL log on/off).</summary>
    internal bool TraceEnabled { get; set; }

    /// <summary>Every request and reply goes to the log: CONTROL log on, or a trace file or -V.</summary>
    internal bool Tracing => TraceEnabled || Options.Trace is not null;

    internal void ProcessOne(DaemonConnection connection, Message request)
    {
        if (!Monitor.TryEnter(Sync))
        {
            // The lock is held: the request is left to its holder, as a socket's are
            // (ProcessFrames). Waiting on the lock instead, it could wait out a whole run of
            // another connection's requests: the holder's thread took the lock back between
            // its slices before the waiter's thread was woken (LockFairnessTests).
            var reader = new FrameReader();
            reader.Append(request.ToBytes());
            ProcessFrames(connection, reader);
            return;
        }
        OutputHold? hold = null;
        try
        {
            // A closed connection (its domain released, say) runs nothing more.
            if (connection.IsClosed) return;
            var frame = new RequestFrame(request);
            Dispatch(connection, frame);
            Settle(connection, frame, ref hold);
        }
        finally
        {
            Monitor.Exit(Sync);
        }
        Release(hold);
        NotifyOutputReady();
        RunLeftRequestsWhileFree();
    }

    /// <summary>
    /// Runs the whole requests <paramref name="reader"/> holds, holding the lock for at most
    /// <see cref="LockSlice"/> at a time (each request's cost is bounded by its size, so a slice
    /// overruns by at most one request): a connection with a full buffer of requests lets the
    /// others in between its slices instead of holding them off until it is done. Requests that
    /// find the lock held are run by its holder at its next request boundary
    /// (<see cref="EnterOrLeaveToHolder"/>).
    /// </summary>
    internal FrameStatus ProcessFrames(DaemonConnection connection, FrameReader reader)
    {
        FrameStatus status;
        var sliced = false;
        do
        {
            if (sliced) LetWaitingRequestsIn();
            OutputHold? hold = null;
            if (!EnterOrLeaveToHolder(connection, reader)) return connection.Left.Status;
            try
            {
                // What the holder ran for this connection while it waited is gone from the reader.
                connection.Left.Reader = null;
                var sliceEnd = Stopwatch.GetTimestamp() + LockSliceTicks;
                sliced = false;
                // Each request is handled before the next is read: it can be read in place.
                while ((status = reader.TryReadInPlace(out var header, out var payload)) == FrameStatus.Message)
                {
                    if (connection.IsClosed) break;
                    var frame = new RequestFrame(header, payload);
                    Dispatch(connection, frame);
                    Settle(connection, frame, ref hold);
                    // Their replies leave with this slice's end, so end it now.
                    if (RunRequestsLeftToHolder() || Stopwatch.GetTimestamp() > sliceEnd)
                    {
                        sliced = true;
                        break;
                    }
                }
            }
            finally
            {
                Monitor.Exit(Sync);
            }
            Release(hold);
            NotifyOutputReady();
        }
        while (sliced);
        RunLeftRequestsWhileFree();
        return status;
    }

    /// <summary>
    /// The longest a connection holds the lock for a run of its requests while others may wait:
    /// a quarter of a millisecond, about 30 pipelined writes. Against 1 ms, a READ arriving
    /// behind a writer's batch waited less (probe p50 0.18 against 0.21 ms, p99 1.9 against
    /// 2.2 ms while a million nodes were written, bench/results.md, Scale) at no cost to the fill.
    /// </summary>
    internal static readonly TimeSpan LockSlice = TimeSpan.FromMilliseconds(0.25);

    private static readonly long LockSliceTicks = (long)(LockSlice.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Requests of other connections waiting for the lock (counted by the request paths).</summary>
    private int requestsWaiting;

    /// <summary>
    /// Between two slices of one connection: the lock does not queue its waiters (whoever asks
    /// first after a release gets it), so wait, for at most a slice, until one of the requests
    /// waiting has got in.
    /// </summary>
    private void LetWaitingRequestsIn()
    {
        var waiting = Volatile.Read(ref requestsWaiting);
        if (waiting == 0) return;
        var deadline = Stopwatch.GetTimestamp() + LockSliceTicks;
        var spin = new SpinWait();
        while (Volatile.Read(ref requestsWaiting) >= waiting && Stopwatch.GetTimestamp() < deadline) spin.SpinOnce();
    }

    /// <summary>The request being handled: one for all, they are handled one at a time (see <see cref="Request"/>).</summary>
    private Request Dispatched => dispatched ??= new Request(this);

    private Request? dispatched;

    /// <summary>Runs one request's handler under the lock. Nothing a client sends can throw out of here.</summary>
    private void Dispatch(DaemonConnection connection, in RequestFrame frame)
    {
        if (Tracing) Trace($"IN  {connection} {frame}");
        var request = Dispatched.Begin(connection, frame, null);
        if (MessageTable.Find(frame.Type) is not { } row)
        {
            request.Error(XenStoreErrorCode.ENOSYS);
            return;
        }
        if (row.PrivilegedOnly && !connection.Privileged)
        {
            request.Error(XenStoreErrorCode.EACCES);
            return;
        }
        Transaction? transaction = null;
        if (frame.TxId != 0 && !row.IgnoresTransaction && !connection.Transactions.TryGetValue(frame.TxId, out transaction))
        {
            request.Error(XenStoreErrorCode.ENOENT);
            return;
        }
        if (transaction is null)
        {
            Run(row, request);
            return;
        }
        request.Begin(connection, frame, transaction);
        Run(row, request);
        // What a commit that finds the store changed replays (TransactionHandlers.End).
        if (MessageTable.ReplayCannotRepeat(frame)) transaction.CannotReplay();
        else if (row.Replayed)
        {
            if (request.Answer is { } answer) transaction.Remember(request.Message, answer);
            else transaction.CannotReplay();
        }
    }

    /// <summary>
    /// Runs a request that passed its row's checks, in its transaction if it has one: the
    /// memory check, then the handler. Dispatch and a transaction's replay both run requests
    /// through here, so a replay makes the same checks as the original requests did.
    /// </summary>
    private void Run(MessageTable.Row row, Request request)
    {
        var (connection, transaction) = (request.Connection, request.Transaction);
        if (!connection.Privileged && row.MayGrowMemory
            && MemoryQuotaExceeded(connection, MemoryCharge.RequestGrowth(request.Frame.Payload.Length)))
        {
            request.Error(XenStoreErrorCode.ENOMEM);
            return;
        }
        try
        {
            if (row.Handler(request) is { } error) request.Error(error);
        }
        catch (TransactionLimitException refused)
        {
            // The transaction refused to touch one more node (ENOSPC or ENOMEM): what the handler
            // had gathered is dropped, and the transaction, failed already, cannot commit it.
            Changes.Undo();
            request.Error(refused.Code);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must cost one request, never the daemon: what it changed is undone, and a
            // transaction it touched cannot commit.
            Changes.Undo();
            transaction?.Fail(XenStoreErrorCode.EINVAL);
            Trace($"internal error on {connection} {request.Frame}: {ex}");
            InternalErrorRaised?.Invoke(new InternalError(connection, request.Message, ex));
            request.Error(XenStoreErrorCode.EINVAL);
        }
    }

    /// <summary>
    /// Commits what the request changed: journal it, keep it, then let its outputs go (or hold
    /// them for the fsync). If the journal cannot take it, undo it and answer the error.
    /// </summary>
    private void Settle(DaemonConnection connection, in RequestFrame frame, ref OutputHold? hold)
    {
        if (!TryCommit(out var sequence, out var refused))
        {
            Trace($"{connection} {frame}: refused, the journal cannot keep it ({refused.Message})");
            connection.Send(MessageType.Error, frame.ReqId, frame.TxId, XenStoreErrors.Payloads[(int)refused.Code]);
        }
        else Deliver(sequence, connection, ref hold);
        // Also after a refusal: after a failed fsync, a snapshot is what lets changes in again.
        if (Journal is { WantsSnapshot: true } journal) journal.BeginSnapshot(Live.Snapshot(), Domains.PersistentState());
    }

    /// <summary>
    /// Journals the change set and keeps it, giving the record's sequence number (0 when
    /// nothing needed journalling); or, when the journal refuses it, undoes it and says why.
    /// </summary>
    private bool TryCommit(out long sequence, [NotNullWhen(false)] out JournalUnavailableException? refused)
    {
        sequence = 0;
        refused = null;
        if (Journal is { } journal && Changes.Entries.Count > 0)
        {
            try
            {
                sequence = journal.Append(Changes.Entries);
            }
            catch (JournalUnavailableException ex)
            {
                Changes.Undo();
                refused = ex;
                return false;
            }
        }
        Changes.Commit();
        return true;
    }

    /// <summary>
    /// Lets held outputs go once the journal is on disk (the fsync runs outside the lock). If
    /// the fsync failed the changes are in the store but perhaps not on the disk: the requester
    /// is not told they were kept (its connection closes, as if the daemon had died), and the
    /// journal refuses changes until a snapshot holds the store.
    /// </summary>
    private void Release(OutputHold? hold)
    {
        if (hold is null) return;
        var durable = hold.Sequence == 0 || Journal!.WaitDurable(hold.Sequence);
        lock (Sync)
        {
            if (!durable && hold.Requester is { } requester)
            {
                Trace($"{requester}: closed without its replies, the journal could not be synced");
                CutOff(requester);
            }
            foreach (var output in hold.Outputs)
                if (durable || output.Connection is null || output.Connection != hold.Requester) Emit(output);
        }
    }

    /// <summary>
    /// Makes a change that is not a client's request (the hypervisor's news of a domain, a ring
    /// reset, recovery) through the same commit path, under the lock; refused changes are
    /// logged. Its outputs wait in <paramref name="hold"/> when the journal must be synced first.
    /// </summary>
    private void RunChange(Action change, ref OutputHold? hold)
    {
        change();
        if (!TryCommit(out var sequence, out var refused))
        {
            Trace($"a change of the daemon's own was not journalled and is undone ({refused.Message})");
            return;
        }
        Deliver(sequence, null, ref hold);
    }

    /// <summary>
    /// Queues the committed change set's outputs, or holds them when record
    /// <paramref name="sequence"/> must be synced first; once one output of a batch is held,
    /// the later ones are too, so a connection's replies leave in order.
    /// </summary>
    private void Deliver(long sequence, DaemonConnection? requester, ref OutputHold? hold)
    {
        if (hold is not null || (sequence > 0 && Journal!.SyncsEachChange))
        {
            hold ??= new OutputHold(requester);
            hold.Outputs.AddRange(Changes.Outputs);
            hold.Sequence = Math.Max(hold.Sequence, sequence);
        }
        else
        {
            foreach (var output in Changes.Outputs) Emit(output);
        }
        Changes.Outputs.Clear();
    }

    /// <summary><see cref="RunChange(Action, ref OutputHold?)"/> alone: takes the lock, then releases the outputs outside it.</summary>
    private void RunChange(Action change)
    {
        OutputHold? hold = null;
        lock (Sync) RunChange(change, ref hold);
        Release(hold);
        NotifyOutputReady();
    }

    /// <summary>Queues one output on its connection(s).</summary>
    private void Emit(in PendingOutput output)
    {
        switch (output.Kind)
        {
            case OutputKind.Reply:
                if (Tracing) Trace($"OUT {output.Connection} {new Message(output.Type, output.ReqId, output.TxId, output.Payload!)}");
                output.Connection!.Send(output.Type, output.ReqId, output.TxId, output.Payload);
                break;
            case OutputKind.Event:
                output.Connection!.SendEvent(output.Path!, output.Token!);
                break;
            case OutputKind.Change:
                FireWatches(output.Change);
                break;
            case OutputKind.Special:
                FireSpecial(output.Path!);
                break;
        }
    }

    /// <summary>Outputs of one connection's batch of requests, waiting for the journal's fsync.</summary>
    private sealed class OutputHold(DaemonConnection? requester)
    {
        /// <summary>The connection whose requests these are (none for the daemon's own changes).</summary>
        public DaemonConnection? Requester { get; } = requester;
        public List<PendingOutput> Outputs { get; } = [];
        public long Sequence { get; set; }
    }
}
