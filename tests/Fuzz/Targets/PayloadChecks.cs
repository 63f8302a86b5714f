using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>Round trips and agreements between the payload parsers, for any payload.</summary>
internal static class PayloadChecks
{
    public static void Run(Message message)
    {
        _ = message.ToString();
        var payload = message.Payload;
        var parts = Payloads.Split(payload);
        var lastNul = Array.LastIndexOf(payload, (byte)0);
        Check.That(Payloads.Strings([.. parts]).AsSpan().SequenceEqual(payload.AsSpan(0, lastNul + 1)),
            "the split arguments join back to the payload up to its last NUL");

        var single = Payloads.TryGetSingle(payload, out var value);
        Check.That(single == (parts.Count == 1 && lastNul == payload.Length - 1), "a single argument is exactly one NUL-terminated string");
        if (single) Check.That(value == parts[0], "the single argument is the one split argument");

        if (Payloads.TrySplitWrite(payload, out var path, out var data))
        {
            byte[] joined = [.. Wire.Encode(path), 0, .. data];
            Check.That(joined.AsSpan().SequenceEqual(payload), "WRITE's path and value join back to the payload");
            PathChecks.Run(path);
        }
        else
        {
            Check.That(Array.IndexOf(payload, (byte)0) < 0, "only a payload without a NUL is not a WRITE");
        }

        foreach (var part in parts)
        {
            PathChecks.Run(part);
            PermissionChecks.Run(part);
        }
        PermissionChecks.Run(parts);
    }
}
