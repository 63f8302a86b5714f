using System.Text;
using XenStore.Protocol;

namespace XenStore.PowerShell;

/// <summary>One XenStore node as the xs: drive shows it.</summary>
public sealed class XenStoreItem
{
    public XenStoreItem(string path, byte[] rawValue, PermissionList permissions, int childCount)
    {
        Path = path;
        RawValue = rawValue;
        PermissionList = permissions;
        ChildCount = childCount;
    }

    /// <summary>The absolute XenStore path, e.g. /local/domain/0/name.</summary>
    public string Path { get; }

    /// <summary>The last component of the path ("/" for the root).</summary>
    public string Name => Path == "/" ? "/" : XenStorePath.Name(Path);

    /// <summary>The value as text (UTF-8; values are normally ASCII).</summary>
    public string Value => ValueText(RawValue);

    /// <summary>The value bytes exactly as stored.</summary>
    public byte[] RawValue { get; }

    /// <summary>The permission entries, owner first: "n0", "r5".</summary>
    public string[] Permissions => PermissionList.Entries.Select(e => e.ToString()).ToArray();

    /// <summary>The owning domain (first permission entry).</summary>
    public uint Owner => PermissionList.Owner;

    /// <summary>How many children the node has.</summary>
    public int ChildCount { get; }

    /// <summary>The parsed permission list.</summary>
    public PermissionList PermissionList { get; }

    /// <summary>The line xenstore-ls -f prints for this node.</summary>
    public string ToFlatString() => $"{Path} = \"{Escape(Value)}\"";

    public override string ToString() => Path;

    internal static string ValueText(byte[] value)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return Wire.Decode(value);
        }
    }

    /// <summary>Escapes like xenstore-ls: backslash, quote and non-printable bytes.</summary>
    internal static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\t': sb.Append(@"\t"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                default:
                    if (c < ' ' || c == 0x7f) sb.Append($"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
