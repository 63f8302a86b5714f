using XenStore.Protocol;

namespace XenStore.Client;

/// <summary>One node read whole: path, value, permissions and the names of its children.</summary>
public sealed record XenStoreNode(string Path, byte[] Value, PermissionList Permissions, IReadOnlyList<string> Children)
{
    /// <summary>The last component of the path ("" for the root).</summary>
    public string Name => XenStorePath.Name(Path);

    /// <summary>The value as UTF-8 text (values are bytes, normally ASCII).</summary>
    public string ValueText => Wire.DecodeText(Value);
}
