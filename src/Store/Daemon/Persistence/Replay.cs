using XenStore.Protocol;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// Re-applies journalled changes of the domains to a daemon being recovered (nothing is
/// journalled again meanwhile). Changes of nodes are replayed on a <see cref="ReplayTree"/>
/// instead, and the store built from it at the end of recovery: the tree changes a release
/// of a domain makes were journalled as such after it.
/// </summary>
internal static class Replay
{
    /// <summary>
    /// Applies one entry. An entry this daemon could not have written (a path or name no
    /// request could make) throws <see cref="InvalidDataException"/>: it is never taken into
    /// the store, where no client could reach or remove it.
    /// </summary>
    public static void Apply(XenStoreDaemon daemon, JournalOp op)
    {
        if (Invalid(daemon, op) is { } reason) throw new InvalidDataException($"impossible {op.Kind} entry: {reason}");
        switch (op.Kind)
        {
            case JournalOpKind.PutNode or JournalOpKind.DeleteNode:
                throw new ArgumentException("Node changes are replayed on the replay tree.", nameof(op));
            case JournalOpKind.SpecialPermissions:
                daemon.Domains.SetSpecialPermissions(op.Path, op.Permissions!);
                break;
            case JournalOpKind.IntroduceDomain:
                daemon.Domains.Introduce(op.DomainId, op.Frame, op.Port);
                break;
            case JournalOpKind.ReleaseDomain:
                daemon.Domains.Remove(op.DomainId);
                break;
            case JournalOpKind.SetTarget:
                daemon.Domains.SetTarget(op.DomainId, op.Port == uint.MaxValue ? null : op.Port);
                break;
            case JournalOpKind.AddWatch:
                daemon.Domains.GetOrAdd(op.DomainId).SavedWatches.Add(new SavedWatch(op.Path, op.Token, op.Relative));
                break;
            case JournalOpKind.RemoveWatch:
                daemon.Domains.GetOrAdd(op.DomainId).SavedWatches.RemoveAll(w => w.Path == op.Path && w.Token == op.Token);
                break;
            case JournalOpKind.ClearWatches:
                daemon.Domains.GetOrAdd(op.DomainId).SavedWatches.Clear();
                break;
        }
    }

    private static string? Invalid(XenStoreDaemon daemon, JournalOp op) => op.Kind switch
    {
        JournalOpKind.SpecialPermissions when !daemon.Domains.IsSpecial(op.Path) => $"special watch '{op.Path}'",
        JournalOpKind.AddWatch or JournalOpKind.RemoveWatch
            when !XenStorePath.IsSpecial(op.Path) && !XenStorePath.IsValidAbsolute(op.Path, pathMax: 0) => $"watch path '{op.Path}'",
        // Unknown kinds never get here: JournalOp.ReadFrom refuses them.
        _ => null,
    };
}
