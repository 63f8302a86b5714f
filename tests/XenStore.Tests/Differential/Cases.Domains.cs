using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>INTRODUCE, RELEASE, IS_DOMAIN_INTRODUCED, RESUME, SET_TARGET, GET_DOMAIN_PATH (protocol §10).</summary>
    public static IEnumerable<DiffCase> Domains()
    {
        yield return Case("dom0 and DOMID_SELF are introduced", S(MessageType.IsDomainIntroduced, "0"), S(MessageType.IsDomainIntroduced, "32752"), S(MessageType.IsDomainIntroduced, "21"));
        yield return Case("introduce, check, release",
            Watch("@introduceDomain", "in"), Watch("@releaseDomain", "out"),
            S(MessageType.Introduce, "21", "4096", "3"), S(MessageType.IsDomainIntroduced, "21"),
            S(MessageType.Introduce, "21", "4096", "4"),
            S(MessageType.Release, "21"), S(MessageType.IsDomainIntroduced, "21"), S(MessageType.Release, "21"));
        yield return Case("release removes the domain's nodes and ACL entries",
            S(MessageType.Introduce, "22", "1", "1"), Write("/local/domain/22/data/x", "1"), SetPerms("/local/domain/22", "n22"),
            Write("{p}/shared", "s"), SetPerms("{p}/shared", "n0", "r22"), Write("{p}/owned", "o"), SetPerms("{p}/owned", "b22"),
            S(MessageType.Release, "22"), Read("/local/domain/22/data/x"), Read("{p}/owned"), GetPerms("{p}/shared"))
            .Ours(10, "GetPerms tx=0: n0|", "protocol §6.6 (XSA-322): ours removes the dead domain's ACL entries; cxenstored only flags them ignored and still lists them");
        yield return Case("release and resume of dom0 are invalid", S(MessageType.Release, "0"), S(MessageType.Resume, "0"));
        yield return Case("resume of a domain not introduced", S(MessageType.Resume, "23"), S(MessageType.Introduce, "23", "1", "1"), S(MessageType.Resume, "23"), S(MessageType.Release, "23"));
        yield return Case("introduce needs a port above zero", S(MessageType.Introduce, "24", "1", "0"), S(MessageType.Introduce, "24", "1"), S(MessageType.IsDomainIntroduced, "24"));
        yield return Case("introduce of dom0 again is fine", S(MessageType.Introduce, "0", "1", "1"));
        yield return Case("set target between introduced domains",
            S(MessageType.Introduce, "25", "1", "1"), S(MessageType.Introduce, "26", "1", "1"),
            S(MessageType.SetTarget, "25", "26"), S(MessageType.SetTarget, "25", "27"), S(MessageType.SetTarget, "25"),
            S(MessageType.Release, "26"), S(MessageType.Release, "25"));
        yield return Case("the domain path of a domain", S(MessageType.GetDomainPath, "7"), S(MessageType.GetDomainPath, "0"), S(MessageType.GetDomainPath, "65535"));
        yield return Case("a domain path of something that is no domain id", S(MessageType.GetDomainPath, "abc"))
            .Ours(0, "Error tx=0: EINVAL|", "protocol §4.4: ours parses the domid strictly (0–65535); cxenstored formats whatever atoi makes of it");
        yield return Case("introduce of a reserved domid", S(MessageType.Introduce, "32752", "1", "1"))
            .Ours(0, "Error tx=0: EINVAL|", "protocol §10: ours rejects INTRODUCE of reserved ids (DOMID_SELF and up), which are never real domains");
        yield return Case("the cxenstored target crash sequence, without the crash",
            S(MessageType.Introduce, "27", "1", "1"), S(MessageType.Introduce, "28", "1", "1"),
            S(MessageType.SetTarget, "28", "27"), S(MessageType.IsDomainIntroduced, "27"), S(MessageType.IsDomainIntroduced, "28"),
            S(MessageType.Release, "28"), S(MessageType.Release, "27"), S(MessageType.IsDomainIntroduced, "27"));
    }
}
