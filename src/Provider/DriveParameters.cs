using System.Management.Automation;

namespace XenStore.PowerShell;

/// <summary>New-PSDrive -PSProvider XenStore parameters: where the drive connects.</summary>
public sealed class DriveParameters
{
    /// <summary>A xenstored's Unix socket.</summary>
    [Parameter]
    public string? SocketPath { get; set; }

    /// <summary>Use the xenbus device (in a guest, or dom0 without the socket).</summary>
    [Parameter]
    public SwitchParameter Xenbus { get; set; }

    /// <summary>The xenbus device to open (default /dev/xen/xenbus).</summary>
    [Parameter]
    public string? DevicePath { get; set; }

    /// <summary>Host a daemon in this session for the drive.</summary>
    [Parameter]
    public SwitchParameter Embedded { get; set; }
}
