using System.Text;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell;

/// <summary>One XenStore node as the xs: drive shows it.</summary>
public sealed class XenStoreItem
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public XenStoreItem(XenStoreNode node) => Node = node;

    /// <summary>The node as the client read it.</summary>
    public XenStoreNode Node { get; }

    /// <summary>The absolute XenStore path, e.g. /local/domain/0/name.</summary>
    public string Path => Node.Path;

    /// <summary>The last component of the path ("/" for the root).</summary>
    public string Name => Path == "/" ? "/" : XenStorePath.Name(Path);

    /// <summary>The value as text: UTF-8 when it is valid UTF-8 (values are normally ASCII), else byte for char.</summary>
    public string Value => ValueText(Node.Value);

    /// <summary>The value bytes exactly as stored.</summary>
    public byte[] RawValue => Node.Value;

    /// <summary>The permission entries, owner first: "n0", "r5".</summary>
    public string[] Permissions => Node.Permissions.Entries.Select(e => e.ToString()).ToArray();

    /// <summary>The owning domain (first permission entry).</summary>
    public uint Owner => Node.Permissions.Owner;

    /// <summary>How many children the node has.</summary>
    public int ChildCount => Node.Children.Count;

    /// <summary>The names of the children.</summary>
    public IReadOnlyList<string> Children => Node.Children;

    /// <summary>The line xenstore-ls -f prints for this node.</summary>
    public string ToFlatString() => XenStoreLsFormat.Line(Node);

    public override string ToString() => Path;

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
