namespace XenStore.Daemon;

/// <summary>
/// The parents' paths of recent requests' paths. Every change looks its node's parent up (for
/// the permissions that decide who hears of it), and the store is asked by path: made afresh,
/// the parent's path was a string of garbage per write. Writes come in runs under one
/// directory (a domain's nodes being written, a device's keys), so a few slots, each holding
/// the last parent that hashed to it, make most of those strings once. Used under the daemon
/// lock only.
/// </summary>
internal sealed class ParentPathCache
{
    /// <summary>Enough for the directories that several clients filling at once write into in turn; bounded, so a guest cannot grow it.</summary>
    private const int Slots = 16;

    private readonly string?[] slots = new string?[Slots];

    /// <summary>The parent of absolute path <paramref name="path"/>, as <see cref="Protocol.XenStorePath.Parent"/> gives it.</summary>
    public string Of(string path)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0) return "/";
        var parent = path.AsSpan(0, slash);
        ref var slot = ref slots[(string.GetHashCode(parent) & int.MaxValue) % Slots];
        if (slot is not null && parent.SequenceEqual(slot)) return slot;
        return slot = parent.ToString();
    }
}
