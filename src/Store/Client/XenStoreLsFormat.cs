using System.Text;

namespace XenStore.Client;

/// <summary>Values as xenstore-ls and xenstore-read print them (xs_lib's sanitise_value).</summary>
public static class XenStoreLsFormat
{
    /// <summary>
    /// Escapes a value: backslash doubled; tab, CR and LF as \t \r \n; other control bytes as
    /// three-digit octal (\001); DEL and bytes from 0x80 as \xHH; everything else as is.
    /// </summary>
    public static string Escape(ReadOnlySpan<byte> value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in value)
        {
            switch (b)
            {
                case (byte)'\\': sb.Append(@"\\"); break;
                case (byte)'\t': sb.Append(@"\t"); break;
                case (byte)'\r': sb.Append(@"\r"); break;
                case (byte)'\n': sb.Append(@"\n"); break;
                case < 0x20: sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0')); break;
                case >= 0x7f: sb.Append(@"\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: sb.Append((char)b); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Reverses <see cref="Escape"/> (and accepts \" and \xHH/\ooo generally).</summary>
    public static byte[] Unescape(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\' || i + 1 >= text.Length)
            {
                bytes.Add((byte)c);
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'n': bytes.Add((byte)'\n'); break;
                case 'x' when i + 2 < text.Length:
                    bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case >= '0' and <= '7' when i + 2 < text.Length:
                    bytes.Add(Convert.ToByte(text.Substring(i, 3), 8));
                    i += 2;
                    break;
                default: bytes.Add((byte)next); break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>One line of xenstore-ls -f: /path = "value", with "   (perms)" as -fp adds it.</summary>
    public static string Line(XenStoreNode node, bool withPermissions = false) =>
        $"{node.Path} = \"{Escape(node.Value)}\"" + (withPermissions ? $"   ({string.Join(',', node.Permissions.Entries)})" : "");
}
