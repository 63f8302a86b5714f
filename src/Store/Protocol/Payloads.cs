namespace XenStore.Protocol;

/// <summary>Building and splitting payloads made of NUL-terminated strings.</summary>
public static class Payloads
{
    /// <summary>Concatenates each argument followed by one NUL.</summary>
    public static byte[] Strings(params string[] args)
    {
        var length = 0;
        foreach (var a in args) length += a.Length + 1;
        var bytes = new byte[length];
        var at = 0;
        foreach (var a in args)
        {
            at += Wire.Encoding.GetBytes(a, 0, a.Length, bytes, at);
            bytes[at++] = 0;
        }
        return bytes;
    }

    /// <summary>
    /// Splits a payload into its NUL-terminated strings; bytes after the last NUL are ignored,
    /// as the C daemon does for list arguments.
    /// </summary>
    public static List<string> Split(ReadOnlySpan<byte> payload)
    {
        var result = new List<string>();
        var start = 0;
        for (var i = 0; i < payload.Length; i++)
        {
            if (payload[i] != 0) continue;
            result.Add(Wire.Decode(payload[start..i]));
            start = i + 1;
        }
        return result;
    }

    /// <summary>
    /// The single argument of a one-argument request: the payload must be exactly one string
    /// whose NUL is its last byte. Anything else is malformed (EINVAL).
    /// </summary>
    public static bool TryGetSingle(ReadOnlySpan<byte> payload, out string value)
    {
        var valid = TryGetSingleRaw(payload, out var raw);
        value = valid ? Wire.Decode(raw) : "";
        return valid;
    }

    /// <summary><see cref="TryGetSingle"/> without decoding: the argument's bytes, without its NUL.</summary>
    internal static bool TryGetSingleRaw(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> value)
    {
        var nul = payload.IndexOf((byte)0);
        value = nul < 0 ? default : payload[..nul];
        return nul >= 0 && nul == payload.Length - 1;
    }

    /// <summary>Splits a WRITE payload: the path up to the first NUL, then raw value bytes.</summary>
    public static bool TrySplitWrite(byte[] payload, out string path, out byte[] value)
    {
        var valid = TrySplitWriteRaw(payload, out var raw, out var bytes);
        path = valid ? Wire.Decode(raw) : "";
        value = bytes.ToArray();
        return valid;
    }

    /// <summary>
    /// <see cref="TrySplitWrite(byte[], out string, out byte[])"/> without decoding the path or
    /// copying the value, both left in <paramref name="payload"/>.
    /// </summary>
    internal static bool TrySplitWriteRaw(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> value)
    {
        var nul = payload.IndexOf((byte)0);
        if (nul < 0)
        {
            path = default;
            value = default;
            return false;
        }
        path = payload[..nul];
        value = payload[(nul + 1)..];
        return true;
    }
}
