using System.Diagnostics.CodeAnalysis;

namespace XenStore.Client;

/// <summary>One watch notification: which path changed (as the watch registered it: relative or absolute) and the token.</summary>
[SuppressMessage("Naming", "CA1710", Justification = "The type name is public in PowerShell (its format view, $Event.SourceEventArgs); renaming it would break scripts.")]
public sealed class XenStoreWatchEvent(string path, string token, DateTime timeGenerated) : EventArgs
{
    public string Path { get; } = path;
    public string Token { get; } = token;
    public DateTime TimeGenerated { get; } = timeGenerated;

    public override string ToString() => $"{Path} ({Token})";
}
