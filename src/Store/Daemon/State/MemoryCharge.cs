using XenStore.Protocol;
using XenStore.Tree;

namespace XenStore.Daemon;

/// <summary>
/// What each piece of a domain's state costs against its "memory" quota, in bytes. As in
/// cxenstored, a domain pays for the nodes it owns, its watches, its open transactions and
/// the replies and events queued for it; the fixed parts stand for the daemon's own records,
/// so that even empty nodes and watches cost something.
/// </summary>
internal static class MemoryCharge
{
    /// <summary>C's stored record header (generation, counts).</summary>
    private const int RecordHeader = 24;

    /// <summary>The daemon's record of one watch or one transaction.</summary>
    public const int Bookkeeping = 64;

    /// <summary>C's stored record of a node without its child list: header, permission entries, value.</summary>
    public static int Record(PermissionList permissions, int valueLength) => RecordHeader + 8 * permissions.Entries.Count + valueLength;

    /// <summary>A node: its key, its record and its name in its parent's child list.</summary>
    public static int Node(string path, Node node) => Node(path.Length, node);

    /// <summary>A node whose path is <paramref name="pathLength"/> characters long.</summary>
    public static int Node(int pathLength, Node node) => Node(pathLength, node.Name, node.Permissions, node.Value.Length);

    /// <summary>A node of these parts, before it is made (recovery charges the nodes it is changing).</summary>
    public static int Node(int pathLength, string name, PermissionList permissions, int valueLength) =>
        pathLength + 1 + Record(permissions, valueLength) + name.Length + 1;

    /// <summary>
    /// One node a transaction has touched and keeps until it ends: its path and the record
    /// of what it saw (read-set entries included: a guest pays for what it makes the daemon
    /// remember).
    /// </summary>
    public static int TransactionEntry(string path) => Bookkeeping + path.Length + 1;

    /// <summary>
    /// One request a transaction keeps for its replay, with its reply: their payloads and the
    /// record holding them (a guest pays for the requests it makes the daemon remember).
    /// </summary>
    public static int RecordedRequest(int payloadBytes) => Bookkeeping + payloadBytes;

    /// <summary>A watch: its path and token and the record holding them.</summary>
    public static int Watch(string path, string token) => Bookkeeping + path.Length + token.Length + 2;

    /// <summary>
    /// The most a request can add to its sender's memory: its payload (path and value, or path
    /// and token) plus a record. Checked before handling, so a domain at its quota is refused
    /// with ENOMEM before anything changes.
    /// </summary>
    public static int RequestGrowth(int payloadLength) => Bookkeeping + payloadLength;
}
