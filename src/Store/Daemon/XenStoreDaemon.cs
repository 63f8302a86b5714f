using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The hosted xenstored: the store, domains, watches and transactions, answering requests
/// from any number of connections as cxenstored 4.17 does. Requests are processed one at a
/// time under one lock (the store is a single serialisable state, as in the C daemon);
/// transports only move bytes and never hold the lock while doing I/O.
/// </summary>
public sealed partial class XenStoreDaemon : IDisposable
{
    internal readonly object Sync = new();
    private readonly List<DaemonConnection> connections = [];
    private readonly List<DaemonConnection> outputReady = [];

    /// <summary>The unprivileged connections of each domain, whose holdings count against its memory quota.</summary>
    private readonly Dictionary<uint, List<DaemonConnection>> guestConnections = [];
    private readonly DaemonLog log;
    private long nextConnectionSequence;

    /// <summary>
    /// Starts a daemon with <paramref name="options"/> (defaults: cxenstored's quotas, in memory).
    /// With persistence, the store is recovered from its files first; a damaged store throws
    /// <see cref="InvalidDataException"/> saying what is wrong.
    /// </summary>
    public XenStoreDaemon(DaemonOptions? options = null)
    {
        Options = options ?? new DaemonOptions();
        Quotas = Options.Quotas.Clone();
        // Sampled from the start, so that CONTROL memreport reports the recovery's pauses too.
        _ = GcPauses.Process;
        log = new DaemonLog(Options.Trace, line => Log?.Invoke(line));
        Changes = new ChangeSet(journaling: Options.Persistence is not null);
        Live = new LiveStore(Changes, Watches.IsWatchedLength);
        Domains = new DomainTable(Options, Quotas, Live, Watches, Changes);
        if (Options.Persistence is { } persistence) Recover(persistence);
        else
        {
            CreateStartingTree();
            Changes.Commit();
        }
        if (Options.RingPlatform is { } platform) platform.DomainsChanged += CheckDomains;
    }

    /// <summary>How the daemon was set up.</summary>
    public DaemonOptions Options { get; }

    /// <summary>The quota defaults in force (CONTROL quota set changes them).</summary>
    public QuotaSettings Quotas { get; }

    /// <summary>How many nodes the store holds.</summary>
    public int NodeCount
    {
        get { lock (Sync) return Live.NodeCount; }
    }

    /// <summary>Connections currently open.</summary>
    public int ConnectionCount
    {
        get { lock (Sync) return connections.Count; }
    }

    /// <summary>What the request being handled has changed, until the commit path settles it.</summary>
    internal ChangeSet Changes { get; }

    internal LiveStore Live { get; }
    internal DomainTable Domains { get; }
    internal WatchRegistry Watches { get; } = new();
    internal ChildListCache ChildListCache { get; } = new();
    internal ParentPathCache ParentPaths { get; } = new();

    /// <summary>The write-ahead journal, when the store is persistent (null while recovering).</summary>
    internal Persistence.Journal? Journal { get; private set; }

    /// <summary>What recovery found at start (snapshot, journal segments, truncated tails).</summary>
    public IReadOnlyList<string> RecoveryReport { get; private set; } = [];

    /// <summary>Raised (outside the lock) with a line for the log, when tracing is on.</summary>
    public event Action<string>? Log;

    /// <summary>Raised when a request hits a bug (see <see cref="Daemon.InternalError"/>).</summary>
    public event Action<InternalError>? InternalErrorRaised;

    /// <summary>
    /// Opens a connection. Sockets are privileged dom0 connections, as in the reference
    /// daemons; a domain's ring is an unprivileged connection of that domain.
    /// </summary>
    public DaemonConnection Connect(uint domainId = 0, bool privileged = true, string? description = null)
    {
        lock (Sync)
        {
            // cxenstored discards undelivered events only for unprivileged connections.
            var output = privileged ? new OutputBuffer() : new OutputBuffer(Options.Clock, Options.WatchEventTimeout);
            var connection = new DaemonConnection(this, domainId, privileged, nextConnectionSequence++, description ?? $"connection {nextConnectionSequence}", output);
            connections.Add(connection);
            if (!privileged)
            {
                if (!guestConnections.TryGetValue(domainId, out var ofDomain)) guestConnections[domainId] = ofDomain = [];
                ofDomain.Add(connection);
            }
            return connection;
        }
    }

    internal void CloseConnection(DaemonConnection connection)
    {
        lock (Sync)
        {
            if (connection.IsClosed) return;
            connection.IsClosed = true;
            Watches.RemoveAll(connection);
            connection.Transactions.Clear();
            connection.Output.Clear();
            connections.Remove(connection);
            if (guestConnections.TryGetValue(connection.DomainId, out var ofDomain) && ofDomain.Remove(connection) && ofDomain.Count == 0)
                guestConnections.Remove(connection.DomainId);
        }
    }

    /// <summary>
    /// Closes a connection that has queued more than it may (it does not read). Its transport
    /// learns of it through its output callback, outside the lock, and drops the socket or
    /// stops serving the ring; a domain's state other than the connection stays (XSA-325).
    /// </summary>
    internal void CutOff(DaemonConnection connection)
    {
        Trace($"{connection}: cut off with {connection.PendingOutput} bytes queued and unread");
        CloseConnection(connection);
        MarkOutputReady(connection);
    }

    /// <summary>A ring reset by its guest: the connection's watches, transactions and queued output go, through the commit path.</summary>
    internal void ResetConnection(DaemonConnection connection) => RunChange(() => ForgetConnectionState(connection));

    /// <summary>Drops a connection's watches, transactions and queued output (ring reset, re-introduction).</summary>
    private void ForgetConnectionState(DaemonConnection connection)
    {
        DropWatchesAndTransactions(connection);
        connection.Output.Clear();
    }

    /// <summary>
    /// Drops a connection's watches and transactions (RESET_WATCHES, and part of a reset);
    /// for a domain's ring the journal keeps that, so they do not come back after a restart.
    /// </summary>
    internal void DropWatchesAndTransactions(DaemonConnection connection)
    {
        var dropped = Watches.RemoveAll(connection);
        Changes.OnUndo(() =>
        {
            foreach (var w in dropped) Watches.Add(connection, w.Path, w.Token, w.Relative);
        });
        Domains.RecordWatchChange(connection, () => Persistence.JournalOp.ClearWatches(connection.DomainId));
        connection.Transactions.Clear();
    }

    internal void MarkOutputReady(DaemonConnection connection) => outputReady.Add(connection);

    /// <summary>Tells transports about new output, outside the lock so they may send at once.</summary>
    private void NotifyOutputReady()
    {
        DaemonConnection? only = null;
        DaemonConnection[]? several = null;
        lock (Sync)
        {
            if (outputReady.Count == 0) return;
            // Nearly always the requester alone: told without an array made for it.
            if (outputReady.Count == 1) only = outputReady[0];
            else several = outputReady.ToArray();
            outputReady.Clear();
        }
        if (only is not null) only.OutputReady?.Invoke(only);
        else foreach (var c in several!) c.OutputReady?.Invoke(c);
    }

    /// <summary>Delivers a change to every watch it matches and that may see it.</summary>
    private void FireWatches(ChangeEvent change)
    {
        // By index: a foreach through the interface would box an enumerator per change.
        var matching = Watches.Matching(change.Path, change.Exact);
        for (var i = 0; i < matching.Count; i++)
        {
            var watch = matching[i];
            if (WatchPermitted(watch.Owner, change))
                watch.Owner.SendEvent(WatchRegistry.EventPath(watch, change.Path), watch.Token);
        }
    }

    /// <summary>Fires a special watch (@introduceDomain, @releaseDomain) for those allowed to read it.</summary>
    private void FireSpecial(string name)
    {
        var permissions = Domains.SpecialPermissions(name);
        foreach (var watch in Watches.Matching(name, exact: true))
            if (Access.Of(this, watch.Owner, permissions).HasFlag(PermissionAccess.Read))
                watch.Owner.SendEvent(name, watch.Token);
    }

    private bool WatchPermitted(DaemonConnection watcher, ChangeEvent change)
    {
        if (watcher.Privileged) return true;
        bool Reads(PermissionList? p) => p is not null && Access.Of(this, watcher, p).HasFlag(PermissionAccess.Read);
        return Reads(change.OldPermissions) || Reads(change.Permissions) || Reads(change.ParentPermissions);
    }

    /// <summary>The effective value of a quota for a connection's domain (0 = unlimited).</summary>
    internal int Quota(DaemonConnection connection, Func<QuotaSettings, int> pick) => pick(Domains.QuotasOf(connection.DomainId));

    /// <summary>Queues a line for the log (written outside the lock, in order).</summary>
    internal void Trace(string line) => log.Write(line);

    private void Recover(Persistence.PersistenceOptions persistence)
    {
        var recovered = false;
        // Replayed changes are in the journal already: they are applied, not journalled again.
        Changes.Journaling = false;
        var journal = Persistence.Journal.Open(persistence, tree =>
        {
            recovered = true;
            Live.Load(tree);
        }, op =>
        {
            recovered = true;
            Persistence.Replay.Apply(this, op);
            Changes.Commit();
            Changes.Outputs.Clear();
        }, Trace);
        Changes.Journaling = true;
        RecoveryReport = journal.RecoveryReport;
        foreach (var line in RecoveryReport) Trace("recovery: " + line);
        Journal = journal;
        if (!recovered) RunChange(CreateStartingTree);
        if (Options.RingPlatform is null) return;
        // The domains permission entries name are asked about when domains change
        // (DomainTable.Named): those of the recovered tree are found once, here, where there is
        // a hypervisor to ask (one walk of the tree).
        RunChange(() => Domains.NoteNamedIn(Live.Root));
        // The rings' loops start serving at once: from here on the lock is needed.
        var domains = Domains.Introduced.Where(d => d.Id != 0).ToList();
        foreach (var domain in domains)
            RunChange(() =>
            {
                IntroduceDomain(domain.Id, domain.RingFrame, domain.Port);
                Domains.RestoreWatches(domain);
            });
    }

    private void CreateStartingTree()
    {
        Live.Create("/tool", [], PermissionList.Dom0Only);
        Live.Create("/tool/xenstored", [], PermissionList.Dom0Only);
        if (!Options.CreateDom0Nodes) return;
        // What xen-init-dom0 writes at boot.
        Live.Create("/local", [], PermissionList.Dom0Only);
        Live.Create("/local/domain", [], PermissionList.Dom0Only);
        Live.Create("/local/domain/0", [], PermissionList.Dom0Only);
        Live.Create("/local/domain/0/domid", Wire.Encode("0"), PermissionList.Dom0Only);
        Live.Create("/local/domain/0/name", Wire.Encode("Domain-0"), PermissionList.Dom0Only);
    }

    /// <summary>
    /// Stops the rings, waits until their loops have let go of them, then closes the journal
    /// (a ring still served could journal a request into a closed file) and the log. The ring
    /// platform is the host's, to dispose after this (the rings unbind their channels through it).
    /// </summary>
    public void Dispose()
    {
        if (Options.RingPlatform is { } platform) platform.DomainsChanged -= CheckDomains;
        DisposeRingsAndJournal();
        log.Dispose();
    }

    private void DisposeRingsAndJournal()
    {
        List<RingSession> rings;
        lock (Sync)
        {
            // Before the rings stop, while the domains' watches are still theirs to save;
            // whatever a ring's last request journals goes to the segment after the snapshot.
            Journal?.SnapshotBeforeClosing(Live.Snapshot(), Domains.PersistentState());
            rings = Domains.Introduced.Select(d => d.Ring).OfType<RingSession>().ToList();
            foreach (var ring in rings) ring.Dispose();
        }
        // Outside the lock: a loop may be finishing a request under it.
        Task.WaitAll(rings.Select(r => r.Stopped).ToArray(), TimeSpan.FromSeconds(10));
        lock (Sync)
        {
            Journal?.Dispose();
            foreach (var c in connections.ToList()) c.IsClosed = true;
            connections.Clear();
        }
    }
}
