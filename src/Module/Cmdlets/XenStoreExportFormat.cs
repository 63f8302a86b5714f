namespace XenStore.PowerShell.Cmdlets;

/// <summary>How Export-XenStore writes a subtree and Import-XenStore reads one.</summary>
public enum XenStoreExportFormat
{
    /// <summary>Nested JSON: path, value (escaped as xenstore-ls escapes it), permissions and children of each node.</summary>
    Json,

    /// <summary>The lines xenstore-ls -fp prints: /path = "value"   (n0,r5).</summary>
    XenstoreLs,
}
