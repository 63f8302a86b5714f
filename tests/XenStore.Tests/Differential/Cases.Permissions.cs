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
        yield return Case("the owner must be a domain that exists", Write("{p}/a", "1"), SetPerms("{p}/a", "n9999"), SetPerms("{p}/a", "b7"), GetPerms("{p}/a"));
        yield return Case("permissions of a missing node", SetPerms("{p}/missing", "n0"), GetPerms("{p}/missing"));
        yield return Case("set permissions fires a watch", Write("{p}/w", "1"), Watch("{p}/w", "perm"), SetPerms("{p}/w", "n0", "r1"));
        yield return Case("special watch permissions can be set", SetPerms("@releaseDomain", "n0", "r5"), SetPerms("@releaseDomain", "n0"));
        yield return Case("other special names are invalid", SetPerms("@other", "n0"))
            .ReferenceVaries(0, "cxenstored 4.17 answers with whatever errno its node lookup left: usually ENOENT, sometimes EINVAL; ours always ENOENT",
                "Error tx=0: ENOENT|", "Error tx=0: EINVAL|");
        yield return Case("permissions of the special watches are readable (C 4.18+)", GetPerms("@introduceDomain"))
            .Ours(0, "GetPerms tx=0: n0|", "protocol §8.6: ours answers GET_PERMS on the special watches as cxenstored 4.18+ does; 4.17 says EINVAL");
        yield return Case("permissions of the root", GetPerms("/"));
    }
}
