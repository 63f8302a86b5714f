using System.Collections.Concurrent;
using System.Diagnostics;
using XenStore.Client;

namespace XenStore.PowerShell;

/// <summary>
/// Children lists read ahead for a recursive walk done by the engine (Get-ChildItem -Recurse
/// -Name, -Include, -Exclude): it lists a directory, asks IsItemContainer of every child and
/// lists each in turn, one round trip at a time. Listing a directory for such a walk requests
/// all its children's lists at once (pipelined); the walk's next questions are then answered
/// from here (the engine lists every node twice: for output, then for its recursion). An
/// entry lives a second, so nothing read ahead outlives the walk that asked for it; a change
/// made through the connection clears the cache.
/// </summary>
internal sealed class ListingCache
{
    private static readonly long Lifetime = Stopwatch.Frequency; // one second
    private const int MaxEntries = 16384;

    private readonly ConcurrentDictionary<string, (Task<IReadOnlyList<string>> Children, long Expires)> entries = new(StringComparer.Ordinal);

    /// <summary>Nodes just seen in a listing: the walk asks whether each is a container, maybe more than once.</summary>
    private readonly ConcurrentDictionary<string, long> listed = new(StringComparer.Ordinal);

    /// <summary>
    /// Notes that <paramref name="paths"/> were just listed, and requests their children lists
    /// now, to be taken later.
    /// </summary>
    public void ReadAhead(XenStoreOperations store, IReadOnlyCollection<string> paths)
    {
        var now = Stopwatch.GetTimestamp();
        var expires = now + Lifetime;
        if (listed.Count + paths.Count > MaxEntries) Purge(listed, e => e, now);
        foreach (var path in paths) listed[path] = expires;
        foreach (var path in paths)
        {
            if (entries.Count >= MaxEntries) Purge(entries, e => e.Expires, now);
            if (entries.Count >= MaxEntries) return;
            var children = store.ListAsync(path);
            // Observed here so that an entry nobody takes never surfaces as an unobserved exception.
            _ = children.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            entries[path] = (children, expires);
        }
    }

    /// <summary>Whether <paramref name="path"/> was read ahead and is there (the entry stays for its listing).</summary>
    public bool KnownToExist(string path)
    {
        if (listed.TryGetValue(path, out var seen) && Fresh(seen)) return true;
        if (!entries.TryGetValue(path, out var entry) || !Fresh(entry.Expires)) return false;
        try
        {
            entry.Children.GetAwaiter().GetResult();
            return true;
        }
        catch (Exception)
        {
            return false; // the caller asks the store, and reports what it says
        }
    }

    /// <summary>The children of <paramref name="path"/> read ahead; null when there is no fresh entry.</summary>
    public IReadOnlyList<string>? Find(string path)
    {
        if (!entries.TryGetValue(path, out var entry) || !Fresh(entry.Expires)) return null;
        try
        {
            return entry.Children.GetAwaiter().GetResult();
        }
        catch (XenStoreException)
        {
            return null; // asked again, so the error is reported by the request the caller makes now
        }
    }

    public void Clear()
    {
        entries.Clear();
        listed.Clear();
    }

    private static bool Fresh(long expires) => Stopwatch.GetTimestamp() < expires;

    /// <summary>Drops what has expired, or everything when a walk keeps the cache full.</summary>
    private static void Purge<T>(ConcurrentDictionary<string, T> cache, Func<T, long> expiry, long now)
    {
        foreach (var (path, entry) in cache)
            if (expiry(entry) <= now) cache.TryRemove(path, out _);
        if (cache.Count >= MaxEntries) cache.Clear();
    }
}
