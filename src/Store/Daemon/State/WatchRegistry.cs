using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// All watches, indexed by the watched path: one change looks up only the changed path's
/// ancestors, so its cost grows with path depth and matching watches, not with how many
/// watches exist. The index is the single source of truth (XSA-330): connections keep no
/// separate list.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly Dictionary<string, List<Watch>> byPath = new(StringComparer.Ordinal);

    /// <summary>
    /// How many watched paths have each length: an ancestor of a changed path is looked up
    /// only if some watched path is as long, so a change 1,000 levels deep does not make
    /// 1,000 prefix strings when a few short paths are watched.
    /// </summary>
    private readonly Dictionary<int, int> watchedLengths = [];

    private long nextSequence;

    public int Count { get; private set; }

    public Watch? Find(DaemonConnection owner, string path, string token) =>
        byPath.TryGetValue(path, out var list) ? list.Find(w => w.Owner == owner && w.Token == token) : null;

    public Watch Add(DaemonConnection owner, string path, string token, bool relative)
    {
        var watch = new Watch(owner, path, token, relative, nextSequence++);
        if (!byPath.TryGetValue(path, out var list))
        {
            byPath[path] = list = [];
            watchedLengths[path.Length] = watchedLengths.GetValueOrDefault(path.Length) + 1;
        }
        list.Add(watch);
        owner.WatchCount++;
        owner.WatchBytes += MemoryCharge.Watch(path, token);
        Count++;
        return watch;
    }

    public void Remove(Watch watch)
    {
        if (!byPath.TryGetValue(watch.Path, out var list) || !list.Remove(watch)) return;
        if (list.Count == 0)
        {
            byPath.Remove(watch.Path);
            if (watchedLengths[watch.Path.Length] == 1) watchedLengths.Remove(watch.Path.Length);
            else watchedLengths[watch.Path.Length]--;
        }
        watch.Owner.WatchCount--;
        watch.Owner.WatchBytes -= MemoryCharge.Watch(watch.Path, watch.Token);
        Count--;
    }

    /// <summary>The watches of one connection, in registration order.</summary>
    public List<Watch> Of(DaemonConnection owner) =>
        owner.WatchCount == 0 ? [] : byPath.Values.SelectMany(l => l).Where(w => w.Owner == owner).OrderBy(w => w.Sequence).ToList();

    /// <summary>Removes every watch of a connection (close, RESET_WATCHES, ring reset); returns them.</summary>
    public List<Watch> RemoveAll(DaemonConnection owner)
    {
        var removed = Of(owner);
        foreach (var watch in removed) Remove(watch);
        return removed;
    }

    /// <summary>Whether some watched path is <paramref name="length"/> characters long (else no path of that length is watched).</summary>
    public bool IsWatchedLength(int length) => watchedLengths.ContainsKey(length);

    /// <summary>
    /// Watches a change of <paramref name="path"/> notifies, in C's delivery order
    /// (connection order, then registration order). <paramref name="exact"/> matches only
    /// watches on the path itself (descendants removed with their parent).
    /// </summary>
    public IReadOnlyList<Watch> Matching(string path, bool exact)
    {
        // Most changes match no watch: nothing is allocated for them.
        List<Watch>? found = null;
        if (byPath.Count == 0) return [];
        if (byPath.TryGetValue(path, out var own)) (found ??= []).AddRange(own);
        if (!exact && path.Length > 0 && path[0] == '/')
        {
            for (var cut = path.LastIndexOf('/'); cut > 0; cut = path.LastIndexOf('/', cut - 1))
                if (watchedLengths.ContainsKey(cut) && byPath.TryGetValue(path[..cut], out var above)) (found ??= []).AddRange(above);
            if (path != "/" && byPath.TryGetValue("/", out var root)) (found ??= []).AddRange(root);
        }
        if (found is null) return [];
        if (found.Count > 1)
            found.Sort((a, b) => a.Owner.Sequence != b.Owner.Sequence ? a.Owner.Sequence.CompareTo(b.Owner.Sequence) : a.Sequence.CompareTo(b.Sequence));
        return found;
    }

    /// <summary>The path an event shows to a watch: relative watches see paths relative to their home.</summary>
    public static string EventPath(Watch watch, string path) =>
        watch.Relative ? XenStorePath.ToRelative(path, watch.Owner.DomainId) : path;
}
