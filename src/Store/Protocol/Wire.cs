using System.Buffers.Binary;
using System.Text;

namespace XenStore.Protocol;

/// <summary>Constants and byte-level helpers of the XenStore wire format.</summary>
public static class Wire
{
    /// <summary>Size of the fixed message header.</summary>
    public const int HeaderSize = 16;

    /// <summary>XENSTORE_PAYLOAD_MAX: largest payload in either direction.</summary>
    public const int PayloadMax = 4096;

    /// <summary>
    /// Strings on the wire are bytes. Latin-1 maps every byte to one char and back, so tokens
    /// and values that are not ASCII survive a round trip through .NET strings unchanged.
    /// </summary>
    public static readonly Encoding Encoding = Encoding.Latin1;

    /// <summary>Encodes a wire string (no terminator added).</summary>
    public static byte[] Encode(string s) => Encoding.GetBytes(s);

    /// <summary>Decodes wire bytes to a string, byte for char.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes) => Encoding.GetString(bytes);

    /// <summary>
    /// Values as text: UTF-8, as xenstore-utils, pyxs and the provider read and write them, so
    /// "grüße" written here reads back the same there. Bytes that are not UTF-8 decode to
    /// U+FFFD; read them as bytes to keep them. (Paths and tokens stay byte-for-char above:
    /// the protocol keeps paths ASCII, and the daemon must round-trip whatever bytes it is sent.)
    /// </summary>
    public static readonly Encoding Text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Encodes a value's text as UTF-8.</summary>
    public static byte[] EncodeText(string s) => Text.GetBytes(s);

    /// <summary>Decodes a value's bytes as UTF-8.</summary>
    public static string DecodeText(ReadOnlySpan<byte> bytes) => Text.GetString(bytes);

    /// <summary>Reads a little-endian header from the first 16 bytes of <paramref name="source"/>.</summary>
    public static MessageHeader ReadHeader(ReadOnlySpan<byte> source) => new(
        (MessageType)BinaryPrimitives.ReadUInt32LittleEndian(source),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));

    /// <summary>Writes a little-endian header into the first 16 bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, MessageType type, uint reqId, uint txId, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], reqId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], txId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], (uint)length);
    }
}

/// <summary>The 16-byte header that precedes every message.</summary>
public readonly record struct MessageHeader(MessageType Type, uint ReqId, uint TxId, uint Length);
