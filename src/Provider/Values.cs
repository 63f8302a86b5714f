using System.Management.Automation;
using System.Text;

namespace XenStore.PowerShell;

/// <summary>Turning what a user passes (-Value, Set-Content, pipeline) into node value bytes.</summary>
internal static class Values
{
    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>byte[] as is; text as UTF-8 (node values are normally ASCII); anything else by its string form.</summary>
    public static byte[] ToBytes(object? value) => PSObject.AsPSObject(value ?? "").BaseObject switch
    {
        byte[] bytes => bytes,
        string text => Utf8.GetBytes(text),
        object[] items when items.All(i => PSObject.AsPSObject(i).BaseObject is byte) => items.Select(i => (byte)PSObject.AsPSObject(i).BaseObject).ToArray(),
        var other => Utf8.GetBytes(other.ToString() ?? ""),
    };

    /// <summary>One item of Set-Content -AsByteStream: a byte is that byte, not its digits.</summary>
    public static byte[] ToByteStream(object? item) => PSObject.AsPSObject(item ?? "").BaseObject switch
    {
        byte b => [b],
        int i and >= 0 and <= 255 => [(byte)i],
        var other => ToBytes(other),
    };
}
