using System.Diagnostics.CodeAnalysis;

namespace XenStore.Client;

/// <summary>One watch notification: which path changed (as the watch registered it: relative or absolute) and the token.</summary>
[SuppressMessage("Naming", "CA1710", Justification = "The type name is public in PowerShell (its format view, $Event.SourceEventArgs); renaming it would break scripts.")]
public sealed class XenStoreWatchEvent(string path, string token, DateTime timeGenerated) : EventArgs
{
    /// <summary>The path that changed, relative or absolute as the watch was registered.</summary>
    public string Path { get; } = path;
    /// <summary>The token the watch was registered with.</summary>
    public string Token { get; } = token;
    /// <summary>When the client received the event (local time).</summary>
    public DateTime TimeGenerated { get; } = timeGenerated;

    /// <summary>"path (token)".</summary>
    public override string ToString() => $"{Path} ({Token})";
}
