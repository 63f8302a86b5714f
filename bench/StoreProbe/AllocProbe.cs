using System.Text;
using XenStore.Daemon;
using XenStore.Protocol;
using XenStore.Tree;

/// <summary>
/// Managed bytes allocated per request, by request kind, on a store shaped as a host's
/// (domains with a 1,000-child /local/domain/&lt;d&gt;/data). Requests go in as wire bytes
/// through a <see cref="FrameReader"/>, as a socket's arrive, so framing is counted too; the
/// probe's own work (building the bytes, taking the output) is left out of the counts. Each
/// kind is also done directly on a tree of the same shape with <see cref="NodeTree"/>, which
/// gives the tree's path copying its share; the rest of the request path is the difference.
/// Counted bytes are deterministic, unlike timings on a busy machine.
/// </summary>
internal static class AllocProbe
{
    /// <summary>Requests per pipelined batch, as a socket read of a client that pipelines would bring.</summary>
    private const int Batch = 64;

    /// <summary>The children of the small directory a DIRECTORY lists (a vif's frontend).</summary>
    private static readonly string[] SmallDirectory = ["backend", "mac", "state", "handle", "bridge"];

    public static void Run(int domains, int rounds)
    {
        using var daemon = new XenStoreDaemon(new DaemonOptions { CreateDom0Nodes = false });
        var dom0 = new Client(daemon.Connect(), new FrameReader());
        // A guest's ring connection, which names paths relative to its home and is checked for
        // permissions and quotas: domain 1, owner of /local/domain/1/data and its g<i>.
        var guest = new Client(daemon.Connect(1, privileged: false), new FrameReader());
        // A toolstack's connection, watching every domain's nodes (for the watched rows).
        var watcher = new Client(daemon.Connect(), new FrameReader());
        Client[] clients = [dom0, guest, watcher];
        uint req = 0;

        // Framed requests are built before counting starts: only the daemon's share is counted.
        byte[][] Frame(IEnumerable<(MessageType Type, string Payload)> requests) =>
            requests.Select(r => new Message(r.Type, ++req, 0, Encoding.ASCII.GetBytes(r.Payload)).ToBytes()).ToArray();

        void Feed(Client client, byte[][] frames)
        {
            for (var i = 0; i < frames.Length; i += Batch)
            {
                foreach (var frame in frames.AsSpan(i, Math.Min(Batch, frames.Length - i))) client.Reader.Append(frame);
                client.Connection.ProcessAvailable(client.Reader);
                // Every client's output, watch events included, is taken as its transport would.
                foreach (var c in clients)
                    while (c.Connection.TryTakeOutput(out var buf, out var length))
                    {
                        // An error answered would measure the wrong path: say so.
                        for (var at = 0; at < length; at += Wire.HeaderSize + (int)Wire.ReadHeader(buf.AsSpan(at)).Length)
                            if (Wire.ReadHeader(buf.AsSpan(at)).Type == MessageType.Error) c.Errors++;
                        DaemonConnection.ReturnOutput(buf);
                    }
            }
        }

        double Measure(Client client, byte[][] frames)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Feed(client, frames);
            return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)frames.Length;
        }

        IEnumerable<int> Domains() => Enumerable.Range(1, domains);
        var fill = Frame(Domains().SelectMany(d => Enumerable.Range(0, 1000).Select(i => (MessageType.Write, $"/local/domain/{d}/data/k{i}\0v"))));
        Feed(dom0, fill);
        Feed(dom0, Frame(Domains().SelectMany(d => SmallDirectory.Select(n => (MessageType.Write, $"/local/domain/{d}/device/vif/0/{n}\0x")))));
        Feed(dom0, Frame([(MessageType.SetPerms, "/local/domain/1/data\0n1\0")]));
        Feed(guest, Frame(Enumerable.Range(0, rounds).Select(i => (MessageType.Write, $"data/g{i}\0v"))));

        var next = 1000;
        // Domain by domain, as the scale benchmark's fill writes.
        byte[][] NewNodes()
        {
            var from = next;
            next += rounds;
            return Frame(Domains().SelectMany(d => Enumerable.Range(from, rounds).Select(i => (MessageType.Write, $"/local/domain/{d}/data/k{i}\0v"))));
        }
        byte[][] Existing(MessageType type, string suffix) =>
            Frame(Domains().SelectMany(d => Enumerable.Range(0, rounds).Select(i => (type, $"/local/domain/{d}/data/k{i}\0{suffix}"))));
        byte[][] GuestOwn(MessageType type, string suffix) =>
            Frame(Domains().SelectMany(_ => Enumerable.Range(0, rounds).Select(i => (type, $"data/g{i}\0{suffix}"))));
        var tree = new TreeShape(domains);
        void Table(IEnumerable<(string Label, Client Client, Func<byte[][]> Requests, Func<TreeShape, double> Tree)> kinds)
        {
            // Warm-up: the first calls of each method allocate (type loading, tiering's stubs).
            foreach (var kind in kinds)
                for (var w = 0; w < 3; w++)
                {
                    Feed(kind.Client, kind.Requests());
                    kind.Tree(tree);
                }
            foreach (var kind in kinds)
            {
                var frames = kind.Requests();
                var total = Measure(kind.Client, frames);
                var treeBytes = kind.Tree(tree);
                Console.WriteLine($"{kind.Label,-22} {total,12:F1} {treeBytes,10:F1} {total - treeBytes,10:F1}");
                foreach (var c in clients.Where(c => c.Errors > 0)) Console.WriteLine($"  {c.Errors} errors answered: not the path meant");
                foreach (var c in clients) c.Errors = 0;
            }
        }

        Console.WriteLine($"{domains} domains x 1,000 children, {rounds * domains} requests per kind, batches of {Batch}");
        Console.WriteLine($"{"request",-22} {"daemon B/req",12} {"tree B/req",10} {"rest B/req",10}");
        Table(
        [
            ("new-node WRITE", dom0, NewNodes, t => t.NewNodes(rounds)),
            ("overwrite WRITE", dom0, () => Existing(MessageType.Write, "w"), t => t.Overwrites(rounds)),
            ("READ leaf", dom0, () => Existing(MessageType.Read, ""), t => t.Reads(rounds)),
            ("DIRECTORY small", dom0, () => Frame(Enumerable.Range(0, rounds).SelectMany(_ => Domains().Select(d => (MessageType.Directory, $"/local/domain/{d}/device/vif/0\0")))), _ => 0),
            ("guest overwrite", guest, () => GuestOwn(MessageType.Write, "w"), t => t.Overwrites(rounds)),
            ("guest READ", guest, () => GuestOwn(MessageType.Read, ""), t => t.Reads(rounds)),
        ]);

        // Then with watches: the toolstack's on every domain, the guest's on its own data by
        // relative path. Each overwrite fires one event, or two for the guest's.
        Feed(watcher, Frame([(MessageType.Watch, "/local/domain\0all\0")]));
        Feed(guest, Frame([(MessageType.Watch, "data\0mine\0")]));
        Table(
        [
            ("overwrite, watched", dom0, () => Existing(MessageType.Write, "w"), t => t.Overwrites(rounds)),
            ("guest overwr., watched", guest, () => GuestOwn(MessageType.Write, "w"), t => t.Overwrites(rounds)),
        ]);
        GC.KeepAlive(daemon);
    }

    /// <summary>A connection and the reader its requests are framed by, as a transport keeps them.</summary>
    private sealed record Client(DaemonConnection Connection, FrameReader Reader)
    {
        public int Errors { get; set; }
    }

    /// <summary>
    /// The same store shape as a bare tree, changed as the live store changes it (chain of new
    /// nodes attached with one Replace; a copy with new content put back with one Replace; both
    /// under a <see cref="TreeEdit"/>, which writes the newest arrays in place).
    /// </summary>
    private sealed class TreeShape
    {
        /// <summary>Values made once: the daemon's value arrays are the request path's, not the tree's.</summary>
        private static readonly byte[] NewValue = [(byte)'v'], Overwritten = [(byte)'w'];

        private readonly int domains;
        private readonly TreeEdit edit = new();
        private Node root;
        private ulong generation;
        private int next = 1000;

        public TreeShape(int domains)
        {
            this.domains = domains;
            root = Node.Leaf("", [], PermissionList.Dom0Only, ++generation);
            foreach (var d in Enumerable.Range(1, domains))
                for (var i = 0; i < 1000; i++) Create($"/local/domain/{d}/data/k{i}");
        }

        public double NewNodes(int rounds)
        {
            var paths = Paths(next, rounds);
            next += rounds;
            return Count(paths, Create);
        }

        public double Overwrites(int rounds) => Count(Paths(0, rounds), path =>
        {
            var node = NodeTree.Lookup(root, path)!;
            var generation = ++this.generation;
            root = NodeTree.Replace(root, path, node.WithContent(Overwritten, node.Permissions, generation), generation, edit);
        });

        public double Reads(int rounds) => Count(Paths(0, rounds), path => NodeTree.Lookup(root, path));

        private string[] Paths(int from, int rounds) =>
            Enumerable.Range(1, domains).SelectMany(d => Enumerable.Range(from, rounds).Select(i => $"/local/domain/{d}/data/k{i}")).ToArray();

        private static double Count(string[] paths, Action<string> change)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var path in paths) change(path);
            return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)paths.Length;
        }

        /// <summary>What the live store does for a WRITE of a new node: the missing chain, then one Replace.</summary>
        private void Create(string path)
        {
            NodeTree.DeepestAncestor(root, path, out var end);
            var from = end;
            var levels = path.AsSpan(from + 1).Count('/') + 1;
            var generations = new ulong[levels];
            for (var i = 0; i < levels; i++) generations[i] = ++generation;
            var top = NodeTree.Chain(path, from, NewValue, PermissionList.Dom0Only, generations);
            var topEnd = path.IndexOf('/', from + 1);
            if (topEnd < 0) topEnd = path.Length;
            root = NodeTree.Replace(root, path[..topEnd], top, generations[0], edit);
        }
    }
}
