using System.Diagnostics;
using XenStore.Protocol;
using XenStore.Tree;

/// <summary>
/// The cost of finding a child by name in a large directory, apart from the collector: a map of
/// CHILDREN names (n0, n1, ...) built at once, then LOOKUPS lookups of names present and of names
/// absent (what a new node's WRITE asks first), in a random order, so that each one misses the
/// cache as it does in a host's store. Median ns per lookup of seven rounds.
/// </summary>
internal static class LookupProbe
{
    public static void Run(int children, int lookups)
    {
        var nodes = new Node[children];
        for (var i = 0; i < children; i++) nodes[i] = Node.Leaf($"n{i}", [], PermissionList.Dom0Only, 1);
        var map = ChildMap.FromOrdered(nodes);
        var random = new Random(1);
        var present = new string[lookups];
        var absent = new string[lookups];
        for (var i = 0; i < lookups; i++)
        {
            present[i] = nodes[random.Next(children)].Name;
            absent[i] = $"m{random.Next()}";
        }
        Console.WriteLine($"{children} children: present {Median(map, present)} ns, absent {Median(map, absent)} ns per lookup");
    }

    private static double Median(ChildMap map, string[] names)
    {
        var rounds = new double[7];
        for (var r = 0; r < rounds.Length; r++)
        {
            var found = 0;
            var started = Stopwatch.GetTimestamp();
            foreach (var name in names)
                if (map.Get(name.AsSpan()) is not null) found++;
            rounds[r] = Stopwatch.GetElapsedTime(started).TotalNanoseconds / names.Length;
            if (found != 0 && found != names.Length) throw new InvalidOperationException($"found {found} of {names.Length}");
        }
        Array.Sort(rounds);
        return Math.Round(rounds[rounds.Length / 2]);
    }
}
