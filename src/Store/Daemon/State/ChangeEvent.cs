using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// A change that may notify watches, with the permissions that decide who may see it
/// (XSA-115): readers of the node (before or after the change) or of its parent.
/// </summary>
internal readonly record struct ChangeEvent(string Path, bool Exact, PermissionList? Permissions, PermissionList? OldPermissions, PermissionList? ParentPermissions);
