using XenStore.Protocol;

namespace XenStore.Daemon.Persistence;

/// <summary>Re-applies journalled changes to a daemon being recovered (nothing is journalled again meanwhile).</summary>
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
        var live = daemon.Live;
        switch (op.Kind)
        {
            case JournalOpKind.PutNode:
                daemon.Domains.NoteNamed(op.Permissions!);
                if (live.Get(op.Path) is not null) live.Update(op.Path, op.Value!, op.Permissions!);
                else
                {
                    // Parents are journalled before their children; a gap means a damaged history,
                    // and the node is still kept rather than lost.
                    var parent = XenStorePath.Parent(op.Path);
                    if (live.Get(parent) is null) Apply(daemon, JournalOp.Put(parent, [], op.Permissions!));
                    live.Create(op.Path, op.Value!, op.Permissions!);
                }
                break;
            case JournalOpKind.DeleteNode:
                live.DeleteSilently(op.Path);
                break;
            case JournalOpKind.SpecialPermissions:
                daemon.Domains.NoteNamed(op.Permissions!);
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
        JournalOpKind.PutNode when !XenStorePath.IsValidAbsolute(op.Path, pathMax: 0) => $"path '{op.Path}'",
        JournalOpKind.DeleteNode when op.Path == "/" || !XenStorePath.IsValidAbsolute(op.Path, pathMax: 0) => $"path '{op.Path}'",
        JournalOpKind.SpecialPermissions when !daemon.Domains.IsSpecial(op.Path) => $"special watch '{op.Path}'",
        JournalOpKind.AddWatch or JournalOpKind.RemoveWatch
            when !XenStorePath.IsSpecial(op.Path) && !XenStorePath.IsValidAbsolute(op.Path, pathMax: 0) => $"watch path '{op.Path}'",
        // Unknown kinds never get here: JournalOp.ReadFrom refuses them.
        _ => null,
    };
}
