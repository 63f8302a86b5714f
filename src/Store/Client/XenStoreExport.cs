using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using XenStore.Protocol;

namespace XenStore.Client;

/// <summary>
/// Backups of a subtree: JSON (path, value, permissions, children, nested) or the flat text
/// of xenstore-ls -fp. Import writes everything back in one transaction, retried on conflict.
/// </summary>
public static class XenStoreExport
{
    /// <summary>Reads a subtree (pipelined) and returns it as JSON.</summary>
    public static async Task<string> ExportJsonAsync(XenStoreOperations store, string path, CancellationToken cancellationToken = default)
    {
        var nodes = await store.ListRecursiveAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ToJson(nodes, path).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a subtree (pipelined) as the lines xenstore-ls -fp prints, the top node included.</summary>
    public static async Task<string> ExportTextAsync(XenStoreOperations store, string path, CancellationToken cancellationToken = default)
    {
        var nodes = await store.ListRecursiveAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        foreach (var node in DepthFirst(nodes, path)) text.Append(XenStoreLsFormat.Line(node, withPermissions: true)).Append('\n');
        return text.ToString();
    }

    /// <summary>Nodes in the order xenstore-ls prints them: each node, then its children's subtrees.</summary>
    public static IEnumerable<XenStoreNode> DepthFirst(IReadOnlyList<XenStoreNode> nodes, string top)
    {
        var byPath = nodes.ToDictionary(n => n.Path, StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(top);
        while (stack.Count > 0)
        {
            if (!byPath.TryGetValue(stack.Pop(), out var node)) continue;
            yield return node;
            for (var i = node.Children.Count - 1; i >= 0; i--) stack.Push(XenStorePath.Combine(node.Path, node.Children[i]));
        }
    }

    /// <summary>Writes an exported subtree (either format) back, under <paramref name="destination"/> if given, atomically.</summary>
    public static Task ImportAsync(XenStoreClient client, string exported, string? destination = null, CancellationToken cancellationToken = default) =>
        ImportAsync(client, Parse(exported, destination), cancellationToken: cancellationToken);

    /// <summary>
    /// Writes parsed nodes (see <see cref="Parse"/>) in one transaction, retried on conflict;
    /// <paramref name="progress"/> hears how many nodes of the current attempt are written.
    /// </summary>
    public static Task ImportAsync(XenStoreClient client, IReadOnlyList<(string Path, byte[] Value, PermissionList? Permissions)> nodes, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (nodes.Count == 0) return Task.CompletedTask;
        return client.RunTransactionAsync(async tx =>
        {
            var written = 0;
            foreach (var (path, value, permissions) in nodes)
            {
                await tx.WriteAsync(path, value, cancellationToken).ConfigureAwait(false);
                if (permissions is not null) await tx.SetPermissionsAsync(path, permissions, cancellationToken).ConfigureAwait(false);
                progress?.Report(++written);
            }
        }, cancellationToken: cancellationToken);
    }

    /// <summary>Whether an export is JSON (else xenstore-ls text).</summary>
    public static bool IsJson(string exported) => exported.TrimStart().StartsWith('{');

    /// <summary>
    /// The nodes of an export (either format), top first, each with the path it is written to:
    /// its own, or moved under <paramref name="destination"/>. Malformed input is a FormatException.
    /// </summary>
    public static IReadOnlyList<(string Path, byte[] Value, PermissionList? Permissions)> Parse(string exported, string? destination = null)
    {
        List<(string Path, byte[] Value, PermissionList? Permissions)> nodes;
        try
        {
            nodes = IsJson(exported) ? FromJson(exported) : FromText(exported);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"Not a XenStore export: {e.Message}", e);
        }
        if (nodes.Count == 0 || destination is null) return nodes;
        var top = nodes[0].Path;
        return nodes.Select(n => (destination + n.Path[top.Length..].TrimEnd('/'), n.Value, n.Permissions)).ToList();
    }

    private static JsonObject ToJson(IReadOnlyList<XenStoreNode> nodes, string top)
    {
        var byPath = nodes.ToDictionary(n => n.Path, StringComparer.Ordinal);
        JsonObject Build(XenStoreNode node)
        {
            var children = new JsonObject();
            foreach (var child in node.Children)
                if (byPath.TryGetValue(XenStorePath.Combine(node.Path, child), out var c)) children[child] = Build(c);
            return new JsonObject
            {
                ["path"] = node.Path,
                ["value"] = XenStoreLsFormat.Escape(node.Value),
                ["permissions"] = new JsonArray(node.Permissions.Entries.Select(e => (JsonNode)e.ToString()).ToArray()),
                ["children"] = children,
            };
        }
        return byPath.TryGetValue(top, out var root) ? Build(root) : new JsonObject();
    }

    private static List<(string Path, byte[] Value, PermissionList? Permissions)> FromJson(string json)
    {
        var result = new List<(string, byte[], PermissionList?)>();
        var stack = new Stack<JsonObject>();
        stack.Push(JsonNode.Parse(json)!.AsObject());
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            var permissions = node["permissions"] is JsonArray p ? PermissionList.Parse(string.Join(' ', p.Select(e => e!.GetValue<string>()))) : null;
            var path = node["path"]?.GetValue<string>() ?? throw new FormatException("Not a XenStore export: a node has no \"path\".");
            result.Add((path, XenStoreLsFormat.Unescape(node["value"]?.GetValue<string>() ?? ""), permissions));
            if (node["children"] is JsonObject children)
                foreach (var child in children.Reverse()) stack.Push(child.Value!.AsObject());
        }
        return result;
    }

    private static List<(string Path, byte[] Value, PermissionList? Permissions)> FromText(string text)
    {
        var result = new List<(string, byte[], PermissionList?)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var eq = line.IndexOf(" = \"", StringComparison.Ordinal);
            if (eq < 0) continue;
            var path = line[..eq];
            var rest = line[(eq + 4)..];
            PermissionList? permissions = null;
            var permsAt = rest.LastIndexOf("\"   (", StringComparison.Ordinal);
            string value;
            if (permsAt >= 0 && rest.EndsWith(')'))
            {
                value = rest[..permsAt];
                permissions = PermissionList.Parse(rest[(permsAt + 5)..^1]);
            }
            else value = rest.EndsWith('"') ? rest[..^1] : rest;
            result.Add((path, XenStoreLsFormat.Unescape(value), permissions));
        }
        return result;
    }
}
