using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>The paths of a subtree, for commands that do the same thing to every node (xenstore-chmod -r).</summary>
internal static class XenStoreSubtree
{
    /// <summary>Requests a subtree command keeps in flight: enough to hide the round trips, few enough to bound what waits in memory.</summary>
    public const int InFlight = 64;

    /// <summary>
    /// <paramref name="top"/> and every node below it, parents before children, read a level
    /// at a time with up to <see cref="InFlight"/> DIRECTORY requests in flight together (names
    /// only: values are not needed). A node that vanishes meanwhile is left out with its subtree.
    /// </summary>
    public static async Task<IReadOnlyList<string>> PathsAsync(XenStoreOperations store, string top, CancellationToken cancellationToken)
    {
        using var throttle = new SemaphoreSlim(InFlight);
        var all = new List<string> { top };
        var level = new List<string> { top };
        while (level.Count > 0)
        {
            var listings = await Task.WhenAll(level.Select(async path =>
            {
                await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return (Path: path, Children: await store.ListAsync(path, cancellationToken).ConfigureAwait(false));
                }
                catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT && path != top)
                {
                    return (Path: path, Children: (IReadOnlyList<string>)[]);
                }
                finally
                {
                    throttle.Release();
                }
            })).ConfigureAwait(false);
            level = listings.SelectMany(l => l.Children.Select(c => XenStorePath.Combine(l.Path, c))).ToList();
            all.AddRange(level);
        }
        return all;
    }
}
