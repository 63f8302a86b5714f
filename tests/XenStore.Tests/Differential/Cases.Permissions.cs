using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>GET_PERMS and SET_PERMS (protocol §6).</summary>
    public static IEnumerable<DiffCase> Permissions()
    {
        yield return Case("new nodes are n0", Write("{p}/a", "1"), GetPerms("{p}/a"));
        yield return Case("set and get permissions", Write("{p}/a", "1"), SetPerms("{p}/a", "n0", "r5"), GetPerms("{p}/a"));
        yield return Case("children inherit the nearest ancestor's permissions", Mkdir("{p}"), SetPerms("{p}", "r0", "w3"), Write("{p}/b/c", "x"), GetPerms("{p}/b"), GetPerms("{p}/b/c"));
        yield return Case("set permissions needs at least one entry", Write("{p}/a", "1"), SetPerms("{p}/a"), GetPerms("{p}/a"));
        yield return Case("an unknown letter is invalid", Write("{p}/a", "1"), SetPerms("{p}/a", "x0"), SetPerms("{p}/a", "n"), SetPerms("{p}/a", ""));
        yield return Case("domids in hex are read as C reads them", Write("{p}/a", "1"), SetPerms("{p}/a", "n0", "r0x1"), GetPerms("{p}/a"));
        yield return Case("dom0 may set many entries", Write("{p}/a", "1"), SetPerms("{p}/a", "n0", "r1", "r2", "r3", "w4", "w5", "b6"), GetPerms("{p}/a"));
        yield return Case("the owner must be a domain that exists", Write("{p}/a", "1"), SetPerms("{p}/a", "n32767"), SetPerms("{p}/a", "n40000"), SetPerms("{p}/a", "n65535"), SetPerms("{p}/a", "b7"), GetPerms("{p}/a"));
        yield return Case("the owner is checked before the path", SetPerms("{p}//bad", "n0"), SetPerms("{p}//bad", "n32767"), SetPerms("{p}/missing", "n32767"), SetPerms("@other", "n32767"));
        yield return Case("the owner of a special watch must exist too", SetPerms("@releaseDomain", "n32767"), SetPerms("@releaseDomain", "n40000"), SetPerms("@introduceDomain", "n0", "r32767"), SetPerms("@introduceDomain", "n0"));
        yield return Case("a domain not introduced may own nodes",
            Write("{p}/a", "1"), SetPerms("{p}/a", "n9999"), GetPerms("{p}/a"), SetPerms("{p}/a", "n0", "r9998", "w32751"), GetPerms("{p}/a"),
            S(MessageType.IsDomainIntroduced, "9999"));
        yield return Case("the toolstack writes a domain's home before it introduces the domain",
            Watch("@introduceDomain", "in"), Watch("/local/domain/13", "home"),
            Mkdir("/local/domain/13"), SetPerms("/local/domain/13", "n13", "r0"), Write("/local/domain/13/name", "guest"),
            Mkdir("/local/domain/13/data"), SetPerms("/local/domain/13/data", "n13"), GetPerms("/local/domain/13/name"),
            S(MessageType.IsDomainIntroduced, "13"), S(MessageType.Introduce, "13", "1", "1"), S(MessageType.IsDomainIntroduced, "13"),
            GetPerms("/local/domain/13/data"), S(MessageType.Release, "13"), Read("/local/domain/13/name"), Unwatch("/local/domain/13", "home"));
        yield return Case("the toolstack's transaction gives nodes to a domain not introduced",
            Start(), Mkdir("/local/domain/14").InTx(), SetPerms("/local/domain/14", "n14", "r0").InTx(), Write("/local/domain/14/vm", "/vm/x").InTx(),
            SetPerms("/local/domain/14/vm", "n0", "r14").InTx(), Commit(),
            GetPerms("/local/domain/14"), GetPerms("/local/domain/14/vm"), Rm("/local/domain/14"));
        yield return Case("what needs an introduced domain refuses one that only exists",
            Mkdir("{p}/d15"), SetPerms("{p}/d15", "n15"),
            S(MessageType.Release, "15"), S(MessageType.Resume, "15"), S(MessageType.SetTarget, "15", "0"), S(MessageType.SetTarget, "0", "15"),
            S(MessageType.IsDomainIntroduced, "15"));
        yield return Case("permissions of a missing node", SetPerms("{p}/missing", "n0"), GetPerms("{p}/missing"));
        yield return Case("set permissions fires a watch", Write("{p}/w", "1"), Watch("{p}/w", "perm"), SetPerms("{p}/w", "n0", "r1"));
        yield return Case("special watch permissions can be set", SetPerms("@releaseDomain", "n0", "r5"), SetPerms("@releaseDomain", "n0"));
        // cxenstored answers an unknown special name with whatever errno its last failure left:
        // a failed READ first makes that ENOENT, whichever case ran before.
        yield return Case("other special names are invalid", Read("{p}/missing"), SetPerms("@other", "n0"));
        yield return Case("permissions of the special watches are readable (C 4.18+)", GetPerms("@introduceDomain"))
            .Ours(0, "GetPerms tx=0: n0|", "protocol §8.6: ours answers GET_PERMS on the special watches as cxenstored 4.18+ does; 4.17 says EINVAL");
        yield return Case("permissions of the root", GetPerms("/"));
    }
}
