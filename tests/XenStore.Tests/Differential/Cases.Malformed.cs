using XenStore.Protocol;
using static XenStore.Tests.Differential.Steps;

namespace XenStore.Tests.Differential;

public static partial class Cases
{
    /// <summary>Unknown types and malformed messages (protocol §1, §3, §17).</summary>
    public static IEnumerable<DiffCase> Malformed()
    {
        foreach (var type in new uint[] { 15, 16, 20, 27, 100, 0xFFFF })
            yield return Case($"message type {type} is not supported", Message((MessageType)type, Payloads.Strings("/")), Read("/tool"));
        yield return Case("a one-argument request without its NUL", Message(MessageType.Read, Wire.Encode("/tool")), Read("/tool"))
            .Ours(0, "Error tx=0: EINVAL|", "protocol §1.4: ours says EINVAL for malformed one-argument payloads; cxenstored 4.17 returns a stale errno");
        yield return Case("a one-argument request with two strings", Message(MessageType.Read, Payloads.Strings("/tool", "/extra")), Read("/tool"))
            .Ours(0, "Error tx=0: EINVAL|", "protocol §1.4: ours says EINVAL for malformed one-argument payloads; cxenstored 4.17 returns a stale errno");
        yield return Case("an oversize header closes only that connection",
            Write("{p}/before", "1").On(1), Raw(OversizeHeader()), Read("{p}/before").On(1), Write("{p}/after", "2").On(2), Read("{p}/after").On(1));
        yield return Case("zero-length reset watches", Message(MessageType.ResetWatches, ""), Read("/tool"));
        yield return Case("pipelined requests are answered in order", Write("{p}/1", "a"), Write("{p}/2", "b"), Read("{p}/1"), Read("{p}/2"), Dir("{p}"));
    }

    private static byte[] OversizeHeader()
    {
        var bytes = new byte[Wire.HeaderSize + 16];
        Wire.WriteHeader(bytes, MessageType.Read, 2, 0, 5000);
        return bytes;
    }
}
