using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>TRANSACTION_START/END and cxenstored's conflict rules (protocol §7).</summary>
    public static IEnumerable<DiffCase> Transactions()
    {
        yield return Case("start, write, commit", Start(), Write("{p}/a", "tx").InTx(), Read("{p}/a").InTx(), Read("{p}/a"), Commit(), Read("{p}/a"));
        yield return Case("abort discards", Write("{p}/a", "before"), Start(), Write("{p}/a", "tx").InTx(), Abort(), Read("{p}/a"));
        yield return Case("ids count up from 1 per connection", Start(), Start().On(1), S(MessageType.TransactionEnd, "F").WithTx(1), Start());
        yield return Case("nested start is EBUSY", Start(), Start().InTx(), Commit());
        yield return Case("unknown transaction id is ENOENT", Read("/").WithTx(77), S(MessageType.TransactionEnd, "T").WithTx(77));
        yield return Case("end without a transaction is ENOENT", S(MessageType.TransactionEnd, "T"));
        yield return Case("a malformed end leaves the transaction open", Start(), S(MessageType.TransactionEnd, "X").InTx(), S(MessageType.TransactionEnd, "").InTx(), Commit());
        yield return Case("a transaction ends once", Start(), Commit(), Commit());
        yield return Case("read then outside write conflicts",
            Write("{p}/a", "0"), Start(), Read("{p}/a").InTx(), Write("{p}/a", "1").On(1), Write("{p}/b", "x").InTx(), Commit(), Read("{p}/b"));
        // Here the references differ: cxenstored answers EAGAIN (the node's generation changed),
        // oxenstored replays the transaction, whose one write gets the same reply on the changed
        // store, and commits it. Ours replays as oxenstored does, so a boot storm's toolstack
        // transactions, which mostly write, need no retries.
        yield return Case("blind write conflicts with an outside write",
            Write("{p}/a", "0"), Start(), Write("{p}/a", "mine").InTx(), Write("{p}/a", "theirs").On(1), Commit(), Read("{p}/a"))
            .Ours(4, "TransactionEnd tx=1: OK|", "protocol §7.2: ours replays a conflicting transaction as oxenstored does, and a blind write replays to the same reply; cxenstored answers EAGAIN")
            .Ours(5, "Read tx=0: mine", "protocol §7.2: ours replays a conflicting transaction as oxenstored does; the replayed write is the one that stays");
        yield return Case("an unrelated outside write does not conflict",
            Write("{p}/a", "0"), Write("{p}/b", "0"), Start(), Read("{p}/a").InTx(), Write("{p}/b", "1").On(1), Write("{p}/a", "2").InTx(), Commit(), Read("{p}/a"));
        yield return Case("a read-only transaction conflicts too",
            Write("{p}/a", "0"), Start(), Read("{p}/a").InTx(), Write("{p}/a", "1").On(1), Commit());
        yield return Case("a node first touched after an outside change is read fresh",
            Write("{p}/a", "0"), Start(), Write("{p}/a", "1").On(1), Read("{p}/a").InTx(), Commit());
        yield return Case("adding a sibling conflicts with a listing",
            Mkdir("{p}"), Start(), Dir("{p}").InTx(), Mkdir("{p}/new").On(1), Write("{p}/x", "1").InTx(), Commit());
        yield return Case("watch events come at commit, once per node",
            Mkdir("{p}"), Watch("{p}", "w").On(1), Start(), Write("{p}/a", "1").InTx(), Write("{p}/a", "2").InTx(), Write("{p}/b", "1").InTx(), Commit());
        yield return Case("no events for an aborted transaction",
            Mkdir("{p}"), Watch("{p}", "w").On(1), Start(), Write("{p}/a", "1").InTx(), Abort());
        yield return Case("no events for a conflicting commit",
            Write("{p}/a", "0"), Watch("{p}/b", "w").On(1), Start(), Read("{p}/a").InTx(), Write("{p}/b", "1").InTx(), Write("{p}/a", "x").On(2), Commit());
        yield return Case("remove inside a transaction",
            Write("{p}/r/s", "1"), Watch("{p}/r/s", "exact").On(1), Start(), Rm("{p}/r").InTx(), Read("{p}/r/s").InTx(), Read("{p}/r/s"), Commit(), Read("{p}/r/s"));
        yield return Case("remove and create again in one transaction",
            Write("{p}/c/old", "1"), Start(), Rm("{p}/c").InTx(), Write("{p}/c/new", "2").InTx(), Dir("{p}/c").InTx(), Commit(), Dir("{p}/c"), Read("{p}/c/old"));
        yield return Case("a zero-length start is accepted", Message(MessageType.TransactionStart, ""), S(MessageType.TransactionEnd, "F").WithTx(1));
        yield return Case("reset watches inside a transaction ends it",
            Start(), Write("{p}/a", "1").InTx(), S(MessageType.ResetWatches, "").InTx(), Commit(), Read("{p}/a"));
        yield return Case("twelve transactions at once for dom0", [.. Enumerable.Range(0, 12).Select(_ => Start())]);
    }
}
