using XenStore.Tree;

namespace XenStore.Tests.Tree;

/// <summary>
/// A node's fields as text, for comparing nodes by content: a child map hands out a new
/// object for a leaf on every lookup (it keeps a leaf's fields, not the object).
/// </summary>
internal static class NodeText
{
    public static string? Of(Node? node) =>
        node is null ? null : $"{node.Name}={Convert.ToHexString(node.Value)} gen={node.Generation} perms={node.Permissions} children={node.Children.Count}";

    public static IEnumerable<string?> Of(IEnumerable<Node> nodes) => nodes.Select(Of);
}
