using System.Diagnostics.CodeAnalysis;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell;

/// <summary>
/// Get-ChildItem's walk: a node's children, and with depth their subtrees, in the order the
/// FileSystem provider lists directories (all children of a node, then each child's subtree).
/// Every child of a listed level is requested at once (pipelined, throttled), so steps stream
/// out as replies arrive instead of after the whole subtree. A child that vanished meanwhile
/// is left out; children the caller may not read are reported once per directory, and the
/// others are still listed.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim whose wait handle is never asked for holds nothing to release, and fetches abandoned by Ctrl+C still release it later.")]
internal sealed class SubtreeWalk(XenStoreOperations store, int levels)
{
    private const int MaxNodesInFlight = 96;

    private readonly SemaphoreSlim throttle = new(MaxNodesInFlight);
    private XenStoreNode? start;

    /// <summary>A node to write, or a failure to report for <see cref="Path"/>.</summary>
    public readonly record struct Step(string Path, XenStoreNode? Node, Exception? Failure);

    /// <summary>Reads the node the walk starts from (its errors are the caller's to report).</summary>
    public async Task StartAsync(string path) => start = await store.GetNodeAsync(path).ConfigureAwait(false);

    /// <param name="wait">How the caller waits for a reply (on its pipeline thread, stopped by Ctrl+C).</param>
    public IEnumerable<Step> Steps(Func<Task<Step>, Step> wait)
    {
        if (start is null) yield break;
        var pending = new Stack<(XenStoreNode Parent, Task<Step>[] Children, int Depth)>();
        pending.Push((start, Fetch(start), 1));
        while (pending.Count > 0)
        {
            var (parent, children, depth) = pending.Pop();
            var listed = new List<XenStoreNode>();
            var unreadable = new List<string>();
            foreach (var child in children)
            {
                var step = wait(child);
                if (step.Failure is XenStoreException { Code: XenStoreErrorCode.EACCES }) unreadable.Add(XenStorePath.Name(step.Path));
                else if (step.Node is not null || step.Failure is not null) yield return step;
                if (step.Node is { } node) listed.Add(node);
            }
            if (unreadable.Count > 0)
                yield return new Step(parent.Path, null, new XenStoreException(XenStoreErrorCode.EACCES, "EACCES", parent.Path,
                    $"Permission denied: {unreadable.Count} of the children of {parent.Path} cannot be read ({string.Join(", ", unreadable.Take(10))}{(unreadable.Count > 10 ? ", ..." : "")})."));
            if (depth >= levels) continue;
            // Request the next level in display order, then stack it so the first child comes out first.
            var next = listed.Select(node => (node, Fetch(node), depth + 1)).ToList();
            for (var i = next.Count - 1; i >= 0; i--) pending.Push(next[i]);
        }
    }

    private Task<Step>[] Fetch(XenStoreNode parent) =>
        parent.Children.Select(name => FetchOne(XenStorePath.Combine(parent.Path, name))).ToArray();

    private async Task<Step> FetchOne(string path)
    {
        await throttle.WaitAsync().ConfigureAwait(false);
        try
        {
            return new Step(path, await store.GetNodeAsync(path).ConfigureAwait(false), null);
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT)
        {
            return new Step(path, null, null);
        }
        catch (Exception e)
        {
            return new Step(path, null, e);
        }
        finally
        {
            throttle.Release();
        }
    }
}
