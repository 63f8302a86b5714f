namespace XenStore.Protocol;

/// <summary>XenStore wire message types (xs_wire.h). Requests and replies share a number.</summary>
public enum MessageType : uint
{
    /// <summary>XS_CONTROL (once XS_DEBUG): daemon-specific commands such as "print" and "log".</summary>
    Control = 0,
    /// <summary>The names of a node's children.</summary>
    Directory = 1,
    /// <summary>A node's value.</summary>
    Read = 2,
    /// <summary>A node's permissions ("n0", "r5"...).</summary>
    GetPerms = 3,
    /// <summary>Registers a watch on a path (or @introduceDomain, @releaseDomain) under a token.</summary>
    Watch = 4,
    /// <summary>Removes the watch registered with the same path and token.</summary>
    Unwatch = 5,
    /// <summary>Opens a transaction; the reply is its id.</summary>
    TransactionStart = 6,
    /// <summary>Commits ("T") or abandons ("F") a transaction; EAGAIN if the commit conflicts.</summary>
    TransactionEnd = 7,
    /// <summary>Tells the daemon of a domain's ring page and event channel, so it serves the domain.</summary>
    Introduce = 8,
    /// <summary>Makes the daemon forget an introduced domain.</summary>
    Release = 9,
    /// <summary>The home path of a domain, /local/domain/&lt;domid&gt;.</summary>
    GetDomainPath = 10,
    /// <summary>Sets a node's value, creating it and any missing parents.</summary>
    Write = 11,
    /// <summary>Creates a node with an empty value; an existing node is left as it is.</summary>
    Mkdir = 12,
    /// <summary>Removes a node and its whole subtree.</summary>
    Rm = 13,
    /// <summary>Replaces a node's permissions.</summary>
    SetPerms = 14,
    /// <summary>From the daemon only: a watched path changed (path and token).</summary>
    WatchEvent = 15,
    /// <summary>The reply to a failed request: the error name, e.g. "ENOENT".</summary>
    Error = 16,
    /// <summary>"T" if a domain is introduced, else "F".</summary>
    IsDomainIntroduced = 17,
    /// <summary>Clears a domain's shutdown state after it resumes.</summary>
    Resume = 18,
    /// <summary>Lets a domain (a device model's stub domain) act with another domain's rights.</summary>
    SetTarget = 19,
    /// <summary>Removed in Xen 4.9; daemons answer ENOSYS.</summary>
    Restrict = 20,
    /// <summary>Drops every watch and transaction of the connection.</summary>
    ResetWatches = 21,
    /// <summary>One part of a large directory listing, from an offset, with the node's generation.</summary>
    DirectoryPart = 22,
    /// <summary>A domain's feature bits, or the daemon's own.</summary>
    GetFeature = 23,
    /// <summary>Sets a domain's feature bits.</summary>
    SetFeature = 24,
    /// <summary>A domain's quotas, or the global ones.</summary>
    GetQuota = 25,
    /// <summary>Sets a domain's quotas, or the global ones.</summary>
    SetQuota = 26,
}
