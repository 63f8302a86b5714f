using System.Globalization;

namespace XenStore.Daemon;

/// <summary>Number parsing as the C daemon does it, where the wire format leaves it loose.</summary>
internal static class CParse
{
    /// <summary>C atoi: optional spaces and sign, then digits up to the first other character; 0 if none.</summary>
    public static int Atoi(string text)
    {
        var i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        var negative = false;
        if (i < text.Length && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
        long value = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            value = value * 10 + (text[i++] - '0');
            if (value > uint.MaxValue) value &= uint.MaxValue;
        }
        return unchecked((int)(negative ? -value : value));
    }

    /// <summary>Strict unsigned decimal (GET_DOMAIN_PATH, quotas): false for anything else.</summary>
    public static bool TryDecimal(string text, uint max, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max;
}
