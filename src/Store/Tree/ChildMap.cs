namespace XenStore.Tree;

/// <summary>
/// The immutable, creation-ordered children of a node. Small maps (the common case) are a
/// plain array; large ones switch to a log of entries and a table of names
/// (<see cref="LargeChildMap"/>), so that adding or removing one child of a directory with
/// 200,000 entries appends one entry instead of copying the list.
/// </summary>
public abstract class ChildMap
{
    /// <summary>Above this many children the array form is replaced by the tree form.</summary>
    internal const int ArrayLimit = 32;

    /// <summary>No children.</summary>
    public static ChildMap Empty { get; } = new ArrayChildMap([], 0);

    /// <summary>
    /// The map of <paramref name="children"/>, in their order, built at once (loading a saved
    /// store): the array becomes the map's own, and a large map's log and table are made in
    /// one pass. Throws <see cref="ArgumentException"/> when
    /// two children have the same name.
    /// </summary>
    internal static ChildMap FromOrdered(Node[] children)
    {
        if (children.Length > ArrayLimit) return LargeChildMap.Build(children);
        var entries = Array.ConvertAll(children, ChildEntry.Of);
        for (var i = 1; i < entries.Length; i++)
            for (var j = 0; j < i; j++)
                if (string.Equals(entries[i].Name, entries[j].Name, StringComparison.Ordinal))
                    throw new ArgumentException($"Two children are called '{entries[i].Name}'.", nameof(children));
        return entries.Length == 0 ? Empty : new ArrayChildMap(entries, 0);
    }

    /// <summary>How many children there are.</summary>
    public abstract int Count { get; }

    /// <summary>The child called <paramref name="name"/>, or null.</summary>
    public abstract Node? Get(string name);

    /// <summary>The child called <paramref name="name"/>, or null; allocates nothing but the short-lived node of a leaf (the lookup hot path).</summary>
    public abstract Node? Get(ReadOnlySpan<char> name);

    /// <summary>Replaces the child of the same name in place, or appends it (creation order).</summary>
    public ChildMap Set(Node child) => Set(child, null);

    /// <summary>
    /// <see cref="Set(Node)"/>, writing into the arrays <paramref name="edit"/> owns rather than
    /// copying them: the map itself when nothing else changed.
    /// </summary>
    internal abstract ChildMap Set(Node child, TreeEdit? edit);

    /// <summary>The map without <paramref name="name"/> (itself if absent).</summary>
    public ChildMap Remove(string name) => Remove(name, null);

    /// <summary><see cref="Remove(string)"/>, under <paramref name="edit"/> (<see cref="Set(Node, TreeEdit?)"/>).</summary>
    internal abstract ChildMap Remove(string name, TreeEdit? edit);

    /// <summary>
    /// An object that stays the same across the versions of a large map that have the same
    /// names in the same order (a child replaced in place, as every change below it does) and
    /// differs otherwise; null for small maps. What is derived from the names alone, such as a
    /// directory listing, can be kept against it and survives changes to the children.
    /// </summary>
    public virtual object? NamesVersion => null;

    /// <summary>Children in creation order, as DIRECTORY lists them.</summary>
    public abstract IEnumerable<Node> InOrder();

    /// <summary>Children in no particular order: for sums and searches, where order costs work for nothing.</summary>
    public virtual IEnumerable<Node> Unordered() => InOrder();

    /// <summary>The children's names in creation order: a listing's, which needs no node made for each leaf.</summary>
    public abstract IEnumerable<string> NamesInOrder();

    /// <summary>The children's names in no particular order (for sizing a listing).</summary>
    public virtual IEnumerable<string> NamesUnordered() => NamesInOrder();

    /// <summary>A small map: its entries in creation order, in an array made under <paramref name="epoch"/> (<see cref="TreeEdit"/>).</summary>
    private sealed class ArrayChildMap(ChildEntry[] items, long epoch) : ChildMap
    {
        public override int Count => items.Length;

        public override Node? Get(string name) => Get(name.AsSpan());

        public override Node? Get(ReadOnlySpan<char> name)
        {
            foreach (var item in items)
                if (name.SequenceEqual(item.Name)) return item.ToNode();
            return null;
        }

        internal override ChildMap Set(Node child, TreeEdit? edit)
        {
            var entry = ChildEntry.Of(child);
            var stamp = edit?.Epoch ?? 0;
            for (var i = 0; i < items.Length; i++)
            {
                if (!string.Equals(items[i].Name, child.Name, StringComparison.Ordinal)) continue;
                if (edit is not null && edit.MayWrite(epoch, items, child))
                {
                    edit.Write(items, i, entry);
                    return this;
                }
                var copy = (ChildEntry[])items.Clone();
                copy[i] = entry;
                return new ArrayChildMap(copy, stamp);
            }
            if (items.Length >= ArrayLimit) return LargeChildMap.Build(Array.ConvertAll(items, static item => item.ToNode())).Set(child, edit);
            var grown = new ChildEntry[items.Length + 1];
            items.CopyTo(grown, 0);
            grown[^1] = entry;
            return new ArrayChildMap(grown, stamp);
        }

        internal override ChildMap Remove(string name, TreeEdit? edit)
        {
            var index = 0;
            while (index < items.Length && !string.Equals(items[index].Name, name, StringComparison.Ordinal)) index++;
            if (index == items.Length) return this;
            var shrunk = new ChildEntry[items.Length - 1];
            Array.Copy(items, 0, shrunk, 0, index);
            Array.Copy(items, index + 1, shrunk, index, items.Length - index - 1);
            return new ArrayChildMap(shrunk, 0);
        }

        public override IEnumerable<Node> InOrder() => items.Select(static item => item.ToNode());

        public override IEnumerable<string> NamesInOrder() => items.Select(static item => item.Name);
    }
}
