using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>Path syntax, relative paths and the path-max rule (protocol §2).</summary>
    public static IEnumerable<DiffCase> Paths()
    {
        yield return Case("path with a space is invalid", Write("{p}/a b", "x"), Read("{p}/a b"));
        yield return Case("path with a dot is invalid", Write("{p}/a.b", "x"));
        yield return Case("double slash is invalid", Write("{p}//a", "x"), Read("{p}//a"));
        yield return Case("trailing slash is invalid", Write("{p}/a/", "x"), Mkdir("{p}/b/"));
        yield return Case("empty path is invalid", Read(""), Write("", "x"));
        yield return Case("at sign inside a component is a normal node", Write("{p}/@at", "1"), Read("{p}/@at"), Dir("{p}"));
        yield return Case("relative paths live under /local/domain/0", Write("{r}/x", "rel"), Read("/local/domain/0/{r}/x"), Read("{r}/x"), Rm("{r}"));
        yield return Case("longest path outside a domain home is 2048",
            Write("{p}/" + new string('a', 2048 - 1 - PrefixLength), "ok"),
            Write("{p}/" + new string('b', 2049 - 1 - PrefixLength), "too long"));
        yield return Case("below /local/domain/N only the rest counts",
            Write("/local/domain/5/" + new string('c', 2048), "ok"),
            Write("/local/domain/5/" + new string('d', 2049), "too long"),
            Rm("/local/domain/5"));
        yield return Case("the root's value is readable", Read("/"));
        yield return Case("uppercase and lowercase are different nodes", Write("{p}/Key", "upper"), Write("{p}/key", "lower"), Read("{p}/Key"), Read("{p}/key"));
        yield return Case("digits dashes underscores are valid", Write("{p}/a-1_B/c_2-D", "v"), Read("{p}/a-1_B/c_2-D"));
    }

    /// <summary>Length of the "{p}" prefix the runner substitutes: "/diff/" + 12 characters.</summary>
    public const int PrefixLength = 18;
}
