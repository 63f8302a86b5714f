using System.Runtime.CompilerServices;
using System.Text;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// One string per distinct node name while a snapshot is loaded: a store repeats its names
/// (every domain has its "name", "domid", "device", ...; 1,000 domains of the same layout
/// hold a million nodes but a thousand names), so the loaded store keeps one copy of each
/// instead of one per node, and loading allocates a string only for a name not seen yet.
/// Looked up by the UTF-8 bytes, without decoding them first. The table stops taking new
/// names when full: a store of all-different names is loaded as before, only not shared.
/// </summary>
internal sealed class NameTable
{
    /// <summary>Slots (a power of two); the table takes names until it is half full.</summary>
    private const int Slots = 1 << 17;

    private readonly string?[] names = new string?[Slots];
    private int count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string Get(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        for (var probe = 0; probe < Slots; probe++)
        {
            var slot = (hash + probe) & (Slots - 1);
            var name = names[slot];
            if (name is null)
            {
                var made = Encoding.UTF8.GetString(utf8);
                if (count < Slots / 2 && IsAscii(utf8))
                {
                    names[slot] = made;
                    count++;
                }
                return made;
            }
            if (SameAscii(name, utf8)) return name;
        }
        return Encoding.UTF8.GetString(utf8);
    }

    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes) hash = (hash ^ b) * 16777619u;
        return (int)(hash ^ (hash >> 15));
    }

    /// <summary>Only ASCII names are kept (every valid name is), so a byte compares with a character.</summary>
    private static bool IsAscii(ReadOnlySpan<byte> bytes) => System.Text.Ascii.IsValid(bytes);

    private static bool SameAscii(string name, ReadOnlySpan<byte> bytes)
    {
        if (name.Length != bytes.Length) return false;
        for (var i = 0; i < bytes.Length; i++)
            if (name[i] != bytes[i]) return false;
        return true;
    }
}
