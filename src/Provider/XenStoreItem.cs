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
    private readonly XenStoreNode node;

    public XenStoreItem(XenStoreNode node)
    {
        this.node = node;
        Permissions = node.Permissions.ToString();
    }

    /// <summary>The last component of the path ("/" for the root).</summary>
    public string Name => FullName == "/" ? "/" : XenStorePath.Name(FullName);

    /// <summary>The absolute XenStore path, e.g. /local/domain/0/name (as FileInfo.FullName is a file's).</summary>
    public string FullName => node.Path;

    /// <summary>The value as text: UTF-8 when it is valid UTF-8 (values are normally ASCII), else byte for char.</summary>
    public string Value => ValueText(node.Value);

    /// <summary>The permission entries, owner first, as xenstore-chmod takes them: "n0 r5".</summary>
    public string Permissions { get; }

    /// <summary>The owning domain (first permission entry).</summary>
    public uint Owner => node.Permissions.Owner;

    /// <summary>How many children the node has.</summary>
    public int ChildCount => node.Children.Count;

    /// <summary>The value bytes exactly as stored.</summary>
    public byte[] GetValueBytes() => (byte[])node.Value.Clone();

    /// <summary>The names of the children.</summary>
    public string[] GetChildNames() => [.. node.Children];

    /// <summary>The line xenstore-ls -f prints for this node.</summary>
    public string ToFlatString() => XenStoreLsFormat.Line(node);

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
