using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// The domains the daemon knows: introduction, release, targets, per-domain quotas, and the
/// permissions of the special watches. Each change is entered in the current
/// <see cref="ChangeSet"/> with how to undo it. Used under the daemon lock.
/// </summary>
internal sealed class DomainTable(DaemonOptions options, QuotaSettings defaults, LiveStore live, WatchRegistry watches, ChangeSet changes)
{
    /// <summary>DOMID_FIRST_RESERVED (DOMID_SELF): ids from here up are not real domains.</summary>
    public const uint FirstReserved = 0x7FF0;

    public const string IntroduceWatch = "@introduceDomain";
    public const string ReleaseWatch = "@releaseDomain";

    private readonly Dictionary<uint, Domain> domains = [];

    /// <summary>
    /// Domains named by an honoured permission entry since they were last forgotten. The
    /// hypervisor is asked about them too when domains change, so the entries naming a dead
    /// domain go with it even if it owned nothing and was never introduced (cxenstored keeps a
    /// domain record for each such domain for the same reason). At most one per domid.
    /// </summary>
    private readonly HashSet<uint> named = [];
    private readonly Dictionary<string, PermissionList> specialPermissions = new(StringComparer.Ordinal)
    {
        [IntroduceWatch] = PermissionList.Dom0Only,
        [ReleaseWatch] = PermissionList.Dom0Only,
    };

    public Domain? Find(uint domid) => domains.GetValueOrDefault(domid);

    /// <summary>Domains named by an honoured permission entry (see <see cref="NoteNamed"/>).</summary>
    public IReadOnlyCollection<uint> Named => named;

    /// <summary>Remembers the domains the honoured entries of <paramref name="permissions"/> name.</summary>
    public void NoteNamed(PermissionList permissions)
    {
        var entries = permissions.Entries;
        for (var i = 1; i < entries.Count; i++)
        {
            var domid = entries[i].DomainId;
            if (domid == 0 || permissions.IsIgnored(i) || !named.Add(domid)) continue;
            changes.OnUndo(() => named.Remove(domid));
        }
    }

    /// <summary>Remembers the domains named by the honoured entries of every permission list in a tree (a recovered store's).</summary>
    public void NoteNamedIn(Node root)
    {
        var seen = new HashSet<PermissionList>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (seen.Add(node.Permissions)) NoteNamed(node.Permissions);
            foreach (var child in node.Children.Unordered()) stack.Push(child);
        }
    }

    /// <summary>Domains introduced and not yet released.</summary>
    public IEnumerable<Domain> Introduced => domains.Values.Where(d => d.Introduced);

    /// <summary>The domain's record, created on first use (quotas, features before INTRODUCE).</summary>
    public Domain GetOrAdd(uint domid)
    {
        if (!domains.TryGetValue(domid, out var domain))
            domains[domid] = domain = new Domain(domid, defaults.Clone());
        return domain;
    }

    /// <summary>The quotas in force for a domain: its own once it has a record, else the defaults.</summary>
    public QuotaSettings QuotasOf(uint domid) => Find(domid)?.Quotas ?? defaults;

    /// <summary>True when <paramref name="owner"/> owning <paramref name="count"/> nodes would pass its nodes quota.</summary>
    public bool NodeQuotaExceeded(uint owner, int count)
    {
        var limit = QuotasOf(owner).Nodes;
        return limit > 0 && count > limit;
    }

    /// <summary>Dom0 is always introduced; others between INTRODUCE and their release.</summary>
    public bool IsIntroduced(uint domid) => domid == 0 || Find(domid)?.Introduced == true;

    /// <summary>
    /// Whether the domain exists, as the hypervisor would say (SET_PERMS refuses an owner that
    /// does not). A toolstack writes a domain's nodes, owned by it, before it introduces it, so
    /// more than the introduced domains exist: without a platform every domid below
    /// <see cref="FirstReserved"/>; with one, every domain it does not report gone (the
    /// simulated hypervisor: not destroyed). <see cref="DaemonOptions.StrictDomains"/> narrows
    /// this to dom0 and the introduced domains.
    /// </summary>
    public bool Exists(uint domid)
    {
        if (options.DomainExists is { } exists) return exists(domid);
        if (IsIntroduced(domid)) return true;
        if (options.StrictDomains || domid >= FirstReserved) return false;
        return options.RingPlatform?.QueryDomain(domid) is not Ring.DomainRunState.Gone;
    }

    public bool IsSpecial(string name) => specialPermissions.ContainsKey(name);

    public PermissionList SpecialPermissions(string name) => specialPermissions[name];

    public void SetSpecialPermissions(string name, PermissionList permissions)
    {
        if (changes.Journaling) changes.Record(Persistence.JournalOp.Special(name, permissions));
        var old = specialPermissions[name];
        changes.OnUndo(() => specialPermissions[name] = old);
        specialPermissions[name] = permissions;
    }

    /// <summary>Sets the domain <paramref name="domid"/> acts for (SET_TARGET), or clears it.</summary>
    public void SetTarget(uint domid, uint? target)
    {
        if (changes.Journaling) changes.Record(Persistence.JournalOp.Target(domid, target));
        var domain = GetOrAdd(domid);
        var old = domain.Target;
        changes.OnUndo(() => domain.Target = old);
        domain.Target = target;
    }

    /// <summary>Domains, targets and special permissions as journal entries, for a snapshot.</summary>
    public IReadOnlyList<Persistence.JournalOp> PersistentState()
    {
        var state = new List<Persistence.JournalOp>();
        foreach (var (name, permissions) in specialPermissions) state.Add(Persistence.JournalOp.Special(name, permissions));
        foreach (var d in Introduced) state.Add(Persistence.JournalOp.Introduce(d.Id, d.RingFrame, d.Port));
        foreach (var d in domains.Values.Where(d => d.Target is not null)) state.Add(Persistence.JournalOp.Target(d.Id, d.Target));
        foreach (var d in Introduced)
        {
            var saved = d.Connection is { } ring
                ? watches.Of(ring).Select(w => new SavedWatch(w.Path, w.Token, w.Relative))
                : d.SavedWatches;
            foreach (var w in saved) state.Add(Persistence.JournalOp.Watch(d.Id, w.Path, w.Token, w.Relative));
        }
        return state;
    }

    /// <summary>
    /// Journals a change to the watches of a domain's ring connection: the guest's ring outlives
    /// the daemon, so its watches are kept across a restart, as live update keeps them. Socket
    /// connections end with the daemon, and their watches with them.
    /// </summary>
    public void RecordWatchChange(DaemonConnection connection, Func<Persistence.JournalOp> change)
    {
        if (changes.Journaling && !connection.Privileged && Find(connection.DomainId)?.Connection == connection)
            changes.Record(change());
    }

    /// <summary>After a restart, gives a domain's ring connection back the watches it had; each fires once, as a new watch does.</summary>
    public void RestoreWatches(Domain domain)
    {
        if (domain.Connection is not { } ring) return;
        foreach (var saved in domain.SavedWatches)
        {
            var watch = watches.Add(ring, saved.Path, saved.Token, saved.Relative);
            ring.SendEvent(WatchRegistry.EventPath(watch, saved.Path), saved.Token);
        }
        domain.SavedWatches.Clear();
    }

    /// <summary>Introduces (or re-introduces) a domain; true when it is new.</summary>
    public bool Introduce(uint domid, ulong ringFrame, uint port)
    {
        if (changes.Journaling) changes.Record(Persistence.JournalOp.Introduce(domid, ringFrame, port));
        var known = domains.ContainsKey(domid);
        var domain = GetOrAdd(domid);
        var (introduced, oldFrame, oldPort) = (domain.Introduced, domain.RingFrame, domain.Port);
        changes.OnUndo(() =>
        {
            (domain.Introduced, domain.RingFrame, domain.Port) = (introduced, oldFrame, oldPort);
            if (!known) domains.Remove(domid);
        });
        var isNew = !domain.Introduced && domid != 0;
        domain.Introduced = true;
        domain.RingFrame = ringFrame;
        domain.Port = port;
        return isNew;
    }

    /// <summary>
    /// Forgets a domain, introduced or not: its connection closes, its nodes are deleted (firing
    /// watches as RM does), permission entries naming it are dropped and every target link to
    /// it is cut, so a later domain with the same id inherits nothing (XSA-322/417/419/483).
    /// </summary>
    public void Remove(uint domid)
    {
        var actingForIt = domains.Values.Where(d => d.Target == domid).ToList();
        var oldSpecial = new Dictionary<string, PermissionList>(specialPermissions);
        var known = domains.Remove(domid, out var domain);
        var wasIntroduced = domain?.Introduced == true;
        var wasNamed = named.Remove(domid);
        if (known && changes.Journaling) changes.Record(Persistence.JournalOp.Release(domid));
        changes.OnUndo(() =>
        {
            if (domain is not null)
            {
                domains[domid] = domain;
                domain.Introduced = wasIntroduced;
            }
            foreach (var other in actingForIt) other.Target = domid;
            if (wasNamed) named.Add(domid);
            foreach (var (name, permissions) in oldSpecial) specialPermissions[name] = permissions;
        });
        if (domain is not null)
        {
            domain.Introduced = false;
            // Its ring stops only once the release is kept: a refused release leaves it served.
            if (domain.Ring is { } ring) changes.AfterCommit(ring.Dispose);
        }
        foreach (var other in actingForIt) other.Target = null;
        RemoveNodesOf(domid);
    }

    private void RemoveNodesOf(uint domid)
    {
        var owned = new List<string>();
        var stale = new List<(string Path, Node Node)>();
        var stack = new Stack<(string Path, Node Node)>();
        stack.Push(("/", live.Root));
        while (stack.Count > 0)
        {
            var (path, node) = stack.Pop();
            if (path != "/" && node.Permissions.Owner == domid)
            {
                owned.Add(path);
                continue;
            }
            if (node.Permissions.WithoutDomain(domid) != node.Permissions) stale.Add((path, node));
            foreach (var child in node.Children.InOrder()) stack.Push((XenStorePath.Combine(path, child.Name), child));
        }
        foreach (var path in owned) live.Delete(path);
        foreach (var (path, node) in stale) live.Update(path, node.Value, node.Permissions.WithoutDomain(domid));
        foreach (var name in specialPermissions.Keys.ToList())
            specialPermissions[name] = specialPermissions[name].WithoutDomain(domid);
    }
}
