using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>READ, WRITE, MKDIR, RM, DIRECTORY and DIRECTORY_PART (protocol §4.4, §5).</summary>
    public static IEnumerable<DiffCase> Nodes()
    {
        yield return Case("write then read", Write("{p}/a", "hi"), Read("{p}/a"));
        yield return Case("read of a missing node", Read("{p}/missing"), Read("{p}/missing/deeper"));
        yield return Case("empty value", Write("{p}/e", ""), Read("{p}/e"));
        yield return Case("value with NUL and high bytes", WriteBytes("{p}/bin", [0, 1, 0xFF, 0, 0x80]), Read("{p}/bin"));
        yield return Case("overwrite", Write("{p}/o", "1"), Write("{p}/o", "2"), Read("{p}/o"));
        yield return Case("write creates missing parents with empty values", Write("{p}/x/y/z", "deep"), Read("{p}/x"), Read("{p}/x/y"), Dir("{p}/x"));
        yield return Case("mkdir creates, mkdir again is silent", Mkdir("{p}/m"), Mkdir("{p}/m"), Read("{p}/m"), Dir("{p}"));
        yield return Case("mkdir keeps an existing value", Write("{p}/k", "keep"), Mkdir("{p}/k"), Read("{p}/k"));
        yield return Case("rm removes a subtree", Write("{p}/t/a/b", "1"), Rm("{p}/t"), Read("{p}/t/a/b"), Read("{p}/t"));
        yield return Case("rm of a missing node with a parent is fine", Mkdir("{p}"), Rm("{p}/nothing"));
        yield return Case("rm of a missing node without a parent is ENOENT", Rm("{p}/no/such/thing"));
        yield return Case("rm of the root is refused", Rm("/"), Read("/tool"));
        yield return Case("directory lists in creation order", Mkdir("{p}/z"), Mkdir("{p}/a"), Mkdir("{p}/m"), Mkdir("{p}/B"), Dir("{p}"));
        yield return Case("directory keeps order after a removal", Mkdir("{p}/one"), Mkdir("{p}/two"), Mkdir("{p}/three"), Rm("{p}/two"), Mkdir("{p}/two"), Dir("{p}"));
        yield return Case("directory of a leaf is empty", Write("{p}/leaf", "v"), Dir("{p}/leaf"));
        yield return Case("directory of a missing node", Dir("{p}/missing"));
        yield return Case("a node with children has a readable value", Write("{p}/parent", "pv"), Write("{p}/parent/child", "cv"), Read("{p}/parent"));
        yield return Case("directory too big for one reply is E2BIG",
            [.. Enumerable.Range(0, 200).Select(i => Mkdir($"{{p}}/child-number-{i:D4}-with-a-long-name")), Dir("{p}")]);
        yield return Case("directory part from offsets 0, 2 and 5",
            Mkdir("{p}/a"), Mkdir("{p}/bb"),
            S(MessageType.DirectoryPart, "{p}", "0"), S(MessageType.DirectoryPart, "{p}", "2"), S(MessageType.DirectoryPart, "{p}", "5"),
            S(MessageType.DirectoryPart, "{p}", "99"));
        yield return Case("directory part of a big directory in chunks",
            [.. Enumerable.Range(0, 300).Select(i => Mkdir($"{{p}}/n{i:D3}-0123456789")),
             S(MessageType.DirectoryPart, "{p}", "0"), S(MessageType.DirectoryPart, "{p}", "4080")]);
        yield return Case("directory part needs two arguments", Mkdir("{p}"), S(MessageType.DirectoryPart, "{p}"), S(MessageType.DirectoryPart, "{p}", "0", "extra"));
        yield return Case("directory part of a missing node", S(MessageType.DirectoryPart, "{p}/missing", "0"));
        yield return Case("directory part works inside a transaction", Mkdir("{p}/q"), Start(), S(MessageType.DirectoryPart, "{p}", "0").InTx(), Abort());
        yield return Case("writing the same value twice changes the node twice",
            Write("{p}/same", "v"), Watch("{p}/same", "tok"), Write("{p}/same", "v"), Write("{p}/same", "v"));
        yield return Case("write without a NUL after the path is invalid", Message(MessageType.Write, "{p}/nonul"), Read("{p}/nonul"));
    }
}
