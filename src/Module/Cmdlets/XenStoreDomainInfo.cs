namespace XenStore.PowerShell.Cmdlets;

/// <summary>A domain as New-XenStoreDomain set it up: its home, its /vm entry, and whether the daemon serves it.</summary>
public sealed class XenStoreDomainInfo(uint domainId, string name, string path, string vmPath, bool introduced, string drive)
{
    public uint DomainId { get; } = domainId;
    public string Name { get; } = name;

    /// <summary>The domain's home, /local/domain/N.</summary>
    public string Path { get; } = path;

    /// <summary>The toolstack's entry for it, /vm/UUID (the home's vm node names it).</summary>
    public string VmPath { get; } = vmPath;

    /// <summary>Whether the daemon was told to serve the domain (INTRODUCE).</summary>
    public bool Introduced { get; } = introduced;

    /// <summary>The drive whose xenstored holds it.</summary>
    public string Drive { get; } = drive;

    public override string ToString() => $"{DomainId} ({Name})";
}
