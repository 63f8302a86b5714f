using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>WATCH, UNWATCH, RESET_WATCHES and which changes fire what (protocol §8).</summary>
    public static IEnumerable<DiffCase> Watches()
    {
        yield return Case("a watch fires at once", Watch("{p}/w", "tok"));
        yield return Case("the same path and token twice is EEXIST", Watch("{p}/w", "tok"), Watch("{p}/w", "tok"), Watch("{p}/w", "other"));
        yield return Case("unwatch", Watch("{p}/w", "tok"), Unwatch("{p}/w", "tok"), Write("{p}/w", "1"), Unwatch("{p}/w", "tok"));
        yield return Case("changes at and below fire, above and beside do not",
            Watch("{p}/a", "t"), Write("{p}/a", "1"), Write("{p}/a/b", "2"), Write("{p}/ab", "3"), Write("{p}", "4"));
        yield return Case("own changes fire before their reply", Watch("{p}/own", "t"), Write("{p}/own", "1"), Rm("{p}/own"));
        yield return Case("other connections' changes reach the watcher",
            Watch("{p}/x", "t").On(1), Write("{p}/x/y", "1"), Mkdir("{p}/x/z"), Rm("{p}/x/y"));
        yield return Case("implicitly created parents fire nothing of their own",
            Watch("{p}/deep", "t"), Write("{p}/deep/a/b/c", "1"));
        yield return Case("mkdir of an existing node fires nothing", Mkdir("{p}/m"), Watch("{p}/m", "t"), Mkdir("{p}/m"), Write("{p}/m/x", "1"));
        yield return Case("rm of a missing node fires nothing", Mkdir("{p}"), Watch("{p}", "t"), Rm("{p}/missing"));
        yield return Case("rm fires for watches below the removed node",
            Write("{p}/a/b/c", "1"), Write("{p}/a/d", "2"),
            Watch("{p}/a/b/c", "exact-c"), Watch("{p}/a/d", "exact-d"), Watch("{p}/a", "at"), Watch("{p}", "above"), Watch("{p}/a/b/c/nothere", "below-missing"),
            Rm("{p}/a"));
        yield return Case("relative watches report relative paths",
            Watch("{r}", "rel"), Write("/local/domain/0/{r}/x", "1"), Unwatch("/local/domain/0/{r}", "rel"), Rm("/local/domain/0/{r}"));
        yield return Case("a relative and an absolute spelling are the same watch",
            Watch("{r}", "t"), Watch("/local/domain/0/{r}", "t"));
        yield return Case("watch of an invalid path", Watch("{p}/bad path", "t"), Watch("{p}//x", "t"));
        yield return Case("watch needs exactly two arguments", Watch("{p}", "t").WithArgs("{p}"), S(MessageType.Watch, "{p}", "t", "1"));
        yield return Case("an empty token is allowed", Watch("{p}/e", ""), Write("{p}/e", "1"));
        yield return Case("tokens may repeat on different paths", Watch("{p}/a", "same"), Watch("{p}/b", "same"), Write("{p}/b", "1"), Write("{p}/a", "1"));
        yield return Case("several watches on one path", Watch("{p}/s", "one"), Watch("{p}/s", "two"), Watch("{p}/s", "one").On(1), Write("{p}/s", "1"));
        yield return Case("reset watches drops them", Watch("{p}/r", "t"), S(MessageType.ResetWatches, ""), Write("{p}/r", "1"), Unwatch("{p}/r", "t"));
        yield return Case("reset watches drops transactions", Start(), S(MessageType.ResetWatches, ""), Commit());
        yield return Case("a watch on another special name fires only once", Watch("@someOther", "t"), Write("{p}/x", "1"));
        yield return Case("a depth argument is refused by a 4.17 daemon", S(MessageType.Watch, "{p}", "t", "0"));
        yield return Case("unwatch of a special watch", Watch("@releaseDomain", "r"), Unwatch("@releaseDomain", "r"), Unwatch("@releaseDomain", "r"));
    }

    private static Step WithArgs(this Step step, params string[] args) => step with { Args = args };
}
