using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>CONTROL (protocol §12.4) and the Xen 4.21+ messages (§13).</summary>
    public static IEnumerable<DiffCase> Control()
    {
        yield return Case("control check, print and log", S(MessageType.Control, "check"), S(MessageType.Control, "print", "hello"), S(MessageType.Control, "log", "on"), S(MessageType.Control, "log", "off"));
        yield return Case("control quota shows the defaults", S(MessageType.Control, "quota"), S(MessageType.Control, "quota-soft"));
        yield return Case("control quota set", S(MessageType.Control, "quota", "set", "nodes", "0"), S(MessageType.Control, "quota", "set", "nodes", "1000"),
            S(MessageType.Control, "quota", "set", "bogus", "5"), S(MessageType.Control, "quota"));
        yield return Case("control quota of a domain not introduced", S(MessageType.Control, "quota", "29"));
        yield return Case("an unknown control command", S(MessageType.Control, "no-such-command"), S(MessageType.Control));
        yield return Case("control help lists the commands", S(MessageType.Control, "help"))
            .Ours(0, "Control tx=0: check\t\nlog\ton|off\nlogfile\t<file>\nmemreport\t[<file>]\nprint\t<string>\nquota\t[set <name> <val>|<domid>]\nquota-soft\t[set <name> <val>]\nhelp\t\n|",
                "ours has no live update, so help does not offer it");
        yield return Case("the Xen 4.21+ feature and quota messages",
            Message(MessageType.GetFeature, ""), S(MessageType.GetQuota, "nodes"), S(MessageType.SetQuota, "nodes", "1000"), S(MessageType.SetFeature, "29", "1"))
            .Ours(0, "GetFeature tx=0: 3|", "protocol §13: ours implements GET/SET_FEATURE and GET/SET_QUOTA; cxenstored 4.17 answers ENOSYS")
            .Ours(1, "GetQuota tx=0: 1000|", "protocol §13")
            .Ours(2, "SetQuota tx=0: OK|", "protocol §13")
            .Ours(3, "SetFeature tx=0: OK|", "protocol §13");
    }
}
