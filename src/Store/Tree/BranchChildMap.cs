using System.Collections.Immutable;

namespace XenStore.Tree;

/// <summary>
/// A large directory's children as someone who kept one version of them has changed them: a
/// transaction's private view, which must not append to the log the live store goes on
/// appending to (<see cref="ChildLog"/>). It holds the kept version untouched, the children
/// set since (in their own map, in the order they were set) and the kept children removed
/// since. A transaction changes a few children, so each change costs about as much as in a
/// small map, and nothing of the large one is copied.
/// </summary>
internal sealed class BranchChildMap : ChildMap
{
    /// <summary>The version kept; never changed through this map.</summary>
    private readonly ChildMap kept;

    /// <summary>Children set since, replacing kept ones or new.</summary>
    private readonly ChildMap changed;

    /// <summary>Kept children removed since (set again after that, they are new: they come last).</summary>
    private readonly ImmutableHashSet<string> hidden;

    private readonly int count;

    /// <summary>The kept version's while the names are its own (<see cref="ChildMap.NamesVersion"/>): a listing cached for it serves here too.</summary>
    private readonly object namesVersion;

    public BranchChildMap(ChildMap kept)
        : this(kept, Empty, ImmutableHashSet.Create<string>(StringComparer.Ordinal), kept.Count, kept.NamesVersion ?? new object())
    {
    }

    private BranchChildMap(ChildMap kept, ChildMap changed, ImmutableHashSet<string> hidden, int count, object namesVersion)
    {
        this.kept = kept;
        this.changed = changed;
        this.hidden = hidden;
        this.count = count;
        this.namesVersion = namesVersion;
    }

    public override int Count => count;

    public override object? NamesVersion => namesVersion;

    public override Node? Get(string name) => changed.Get(name) ?? (hidden.Contains(name) ? null : kept.Get(name));

    public override Node? Get(ReadOnlySpan<char> name) => changed.Get(name) ?? (Hides(name) ? null : kept.Get(name));

    /// <summary>
    /// A change under an edit means this map has become the live store's (a version the live store
    /// had was no longer the log's newest): it takes the children into a log of its own, once
    /// (<see cref="Flattened"/>).
    /// </summary>
    internal override ChildMap Set(Node child, TreeEdit? edit)
    {
        if (edit is not null) return Flattened().Set(child, edit);
        var added = Get(child.Name) is null;
        return new BranchChildMap(kept, changed.Set(child), hidden, added ? count + 1 : count, added ? new object() : namesVersion);
    }

    internal override ChildMap Remove(string name, TreeEdit? edit)
    {
        if (edit is not null) return Flattened().Remove(name, edit);
        var inChanged = changed.Get(name) is not null;
        var inKept = !hidden.Contains(name) && kept.Get(name) is not null;
        if (!inChanged && !inKept) return this;
        return new BranchChildMap(kept, inChanged ? changed.Remove(name) : changed, inKept ? hidden.Add(name) : hidden, count - 1, new object());
    }

    public override IEnumerable<Node> InOrder()
    {
        foreach (var child in kept.InOrder())
            if (!hidden.Contains(child.Name)) yield return changed.Get(child.Name) ?? child;
        foreach (var child in changed.InOrder())
            if (hidden.Contains(child.Name) || kept.Get(child.Name) is null) yield return child;
    }

    public override IEnumerable<string> NamesInOrder() => InOrder().Select(static child => child.Name);

    /// <summary>These children in a map of their own: a log nobody owns yet, which the edit changing it takes over.</summary>
    private ChildMap Flattened() => FromOrdered([.. InOrder()]);

    private bool Hides(ReadOnlySpan<char> name) => hidden.Count > 0 && hidden.Contains(name.ToString());
}
