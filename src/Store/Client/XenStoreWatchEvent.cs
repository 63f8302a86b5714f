namespace XenStore.Client;

/// <summary>One watch notification: which path changed (as the watch registered it: relative or absolute) and the token.</summary>
public sealed class XenStoreWatchEvent(string path, string token, DateTime timeGenerated) : EventArgs
{
    public string Path { get; } = path;
    public string Token { get; } = token;
    public DateTime TimeGenerated { get; } = timeGenerated;

    public override string ToString() => $"{Path} ({Token})";
}
