using System.Runtime.CompilerServices;
using XenStore.Protocol;

namespace XenStore.Daemon.Persistence;

/// <summary>What one journal entry changes.</summary>
internal enum JournalOpKind : byte
{
    /// <summary>A node now has this value and these permissions (created if missing).</summary>
    PutNode = 1,
    /// <summary>A node and its subtree are gone.</summary>
    DeleteNode = 2,
    /// <summary>A special watch name's permissions changed.</summary>
    SpecialPermissions = 3,
    /// <summary>A domain was introduced (ring frame and port as INTRODUCE gave them).</summary>
    IntroduceDomain = 4,
    /// <summary>A domain was released or destroyed.</summary>
    ReleaseDomain = 5,
    /// <summary>SET_TARGET (target 0xFFFFFFFF: none).</summary>
    SetTarget = 6,
    /// <summary>A domain's ring connection registered a watch.</summary>
    AddWatch = 7,
    /// <summary>A domain's ring connection removed a watch.</summary>
    RemoveWatch = 8,
    /// <summary>A domain's ring connection lost all its watches (RESET_WATCHES, ring reset).</summary>
    ClearWatches = 9,
}

/// <summary>One change, as the journal stores it.</summary>
internal sealed record JournalOp(JournalOpKind Kind, string Path = "", byte[]? Value = null, PermissionList? Permissions = null, uint DomainId = 0, ulong Frame = 0, uint Port = 0,
    string Token = "", bool Relative = false)
{
    public static JournalOp Put(string path, byte[] value, PermissionList permissions) => new(JournalOpKind.PutNode, path, value, permissions);
    public static JournalOp Delete(string path) => new(JournalOpKind.DeleteNode, path);
    public static JournalOp Special(string name, PermissionList permissions) => new(JournalOpKind.SpecialPermissions, name, null, permissions);
    public static JournalOp Introduce(uint domid, ulong frame, uint port) => new(JournalOpKind.IntroduceDomain, DomainId: domid, Frame: frame, Port: port);
    public static JournalOp Release(uint domid) => new(JournalOpKind.ReleaseDomain, DomainId: domid);
    public static JournalOp Target(uint domid, uint? target) => new(JournalOpKind.SetTarget, DomainId: domid, Port: target ?? uint.MaxValue);
    public static JournalOp Watch(uint domid, string path, string token, bool relative) => new(JournalOpKind.AddWatch, path, DomainId: domid, Token: token, Relative: relative);
    public static JournalOp Unwatch(uint domid, string path, string token) => new(JournalOpKind.RemoveWatch, path, DomainId: domid, Token: token);
    public static JournalOp ClearWatches(uint domid) => new(JournalOpKind.ClearWatches, DomainId: domid);

    public void WriteTo(BinaryWriter w)
    {
        w.Write((byte)Kind);
        switch (Kind)
        {
            case JournalOpKind.PutNode:
                w.Write(Path);
                w.Write(Value!.Length);
                w.Write(Value);
                w.Write(Permissions!.ToPersistedString());
                break;
            case JournalOpKind.DeleteNode:
                w.Write(Path);
                break;
            case JournalOpKind.SpecialPermissions:
                w.Write(Path);
                w.Write(Permissions!.ToPersistedString());
                break;
            case JournalOpKind.AddWatch or JournalOpKind.RemoveWatch or JournalOpKind.ClearWatches:
                w.Write(DomainId);
                w.Write(Path);
                w.Write(Token);
                w.Write(Relative);
                break;
            default:
                w.Write(DomainId);
                w.Write(Frame);
                w.Write(Port);
                break;
        }
    }

    /// <summary>
    /// Reads one entry as <see cref="WriteTo"/> wrote it; <paramref name="permissions"/> turns
    /// the text of a permission list into its object (recovery shares one object per distinct list).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static JournalOp ReadFrom(ref ByteCursor r, Func<string, PermissionList> permissions)
    {
        var kind = (JournalOpKind)r.ReadByte();
        switch (kind)
        {
            case JournalOpKind.PutNode:
                var path = r.ReadString();
                var value = Tree.InternPool.Value(r.Take(r.ReadInt32()));
                return Put(path, value, permissions(r.ReadString()));
            case JournalOpKind.DeleteNode:
                return Delete(r.ReadString());
            case JournalOpKind.SpecialPermissions:
                var name = r.ReadString();
                return Special(name, permissions(r.ReadString()));
            case JournalOpKind.AddWatch or JournalOpKind.RemoveWatch or JournalOpKind.ClearWatches:
                return new JournalOp(kind, DomainId: r.ReadUInt32(), Path: r.ReadString(), Token: r.ReadString(), Relative: r.ReadBoolean());
            case JournalOpKind.IntroduceDomain or JournalOpKind.ReleaseDomain or JournalOpKind.SetTarget:
                return new JournalOp(kind, DomainId: r.ReadUInt32(), Frame: r.ReadUInt64(), Port: r.ReadUInt32());
            default:
                throw new InvalidDataException($"unknown journal entry kind {(byte)kind}");
        }
    }
}
