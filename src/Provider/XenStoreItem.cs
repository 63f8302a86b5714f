using System.Text;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell;

/// <summary>
/// One XenStore node as the xs: drive shows it: plain properties that format, serialize
/// (ConvertTo-Json, Export-Csv, remoting) and bind well. It has no Path property on purpose:
/// a piped item would bind it to -Path, which a cmdlet resolves in the current location's
/// provider (a local file); PSPath, which the engine adds, leads back to the node.
/// </summary>
public sealed class XenStoreItem
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private readonly byte[] value;
    private readonly IReadOnlyList<string> children;

    public XenStoreItem(XenStoreNode node)
    {
        FullName = node.Path;
        value = node.Value;
        children = node.Children;
        Permissions = node.Permissions.ToString();
        Owner = node.Permissions.Owner;
    }

    /// <summary>The last component of the path ("/" for the root).</summary>
    public string Name => FullName == "/" ? "/" : XenStorePath.Name(FullName);

    /// <summary>The absolute XenStore path, e.g. /local/domain/0/name (as FileInfo.FullName is a file's).</summary>
    public string FullName { get; }

    /// <summary>The value as text: UTF-8 when it is valid UTF-8 (values are normally ASCII), else byte for char.</summary>
    public string Value => ValueText(value);

    /// <summary>The permission entries, owner first, as xenstore-chmod takes them: "n0 r5".</summary>
    public string Permissions { get; }

    /// <summary>The owning domain (first permission entry).</summary>
    public uint Owner { get; }

    /// <summary>How many children the node has.</summary>
    public int ChildCount => children.Count;

    /// <summary>The value bytes exactly as stored.</summary>
    public byte[] GetValueBytes() => (byte[])value.Clone();

    /// <summary>The names of the children.</summary>
    public string[] GetChildNames() => [.. children];

    /// <summary>The line xenstore-ls -f prints for this node.</summary>
    public string ToFlatString() => XenStoreLsFormat.Line(new XenStoreNode(FullName, value, PermissionList.Parse(Permissions), children));

    public override string ToString() => FullName;

    internal static string ValueText(byte[] value)
    {
        try
        {
            return StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return Wire.Decode(value);
        }
    }
}
