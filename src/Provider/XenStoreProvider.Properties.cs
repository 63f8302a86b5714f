using System.Collections.ObjectModel;
using System.Management.Automation;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell;

public sealed partial class XenStoreProvider
{
    private static readonly string[] PropertyNames = ["Value", "Permissions", "Owner"];

    public object? GetPropertyDynamicParameters(string path, Collection<string> providerSpecificPickList) => null;

    public object? SetPropertyDynamicParameters(string path, PSObject propertyValue) => null;

    public object? ClearPropertyDynamicParameters(string path, Collection<string> propertyToClear) => null;

    /// <summary>Get-ItemProperty: Value, Permissions and Owner (or those named).</summary>
    public void GetProperty(string path, Collection<string>? providerSpecificPickList)
    {
        var store = StorePath(path);
        var node = Run(() => Store.GetNodeAsync(store), store);
        if (node is null) return;
        var item = new XenStoreItem(node);
        var result = new PSObject();
        foreach (var name in Picked(providerSpecificPickList))
        {
            object value = name switch
            {
                "Value" => item.Value,
                "Permissions" => item.Permissions,
                _ => item.Owner,
            };
            result.Properties.Add(new PSNoteProperty(name, value));
        }
        WritePropertyObject(result, Drive.ProviderPathOf(store));
    }

    /// <summary>Set-ItemProperty: Value writes the value; Permissions ("n0 r5" or an array) and Owner change the permission list.</summary>
    public void SetProperty(string path, PSObject propertyValue)
    {
        var store = StorePath(path);
        if (!Exists(store)) return;
        foreach (var property in propertyValue.Properties)
        {
            var name = PropertyNames.FirstOrDefault(n => string.Equals(n, property.Name, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                WriteError(new ErrorRecord(new ArgumentException($"XenStore nodes have no property '{property.Name}'; they have Value, Permissions and Owner."),
                    "XenStore.NoSuchProperty", ErrorCategory.InvalidArgument, property.Name));
                continue;
            }
            if (!ShouldChange(store, $"Set {name}")) continue;
            switch (name)
            {
                case "Value":
                    Run(() => Store.WriteAsync(store, Values.ToBytes(property.Value)), store);
                    break;
                case "Permissions":
                    if (ParsePermissions(property.Value, store) is { } permissions) SetPermissions(store, permissions);
                    break;
                default:
                    var owner = Convert.ToUInt32(PSObject.AsPSObject(property.Value).BaseObject, System.Globalization.CultureInfo.InvariantCulture);
                    var current = Run(() => Store.GetPermissionsAsync(store), store);
                    if (current is not null) SetPermissions(store, current.WithOwner(owner));
                    break;
            }
        }
        GetProperty(path, null);
    }

    /// <summary>Clear-ItemProperty Value empties the value.</summary>
    public void ClearProperty(string path, Collection<string> propertyToClear)
    {
        var store = StorePath(path);
        if (!Exists(store)) return;
        foreach (var name in propertyToClear)
        {
            if (!string.Equals(name, "Value", StringComparison.OrdinalIgnoreCase))
            {
                WriteError(new ErrorRecord(new ArgumentException($"Only Value can be cleared, not '{name}'."), "XenStore.CannotClear", ErrorCategory.InvalidArgument, name));
                continue;
            }
            if (ShouldChange(store, "Clear Value")) Run(() => Store.WriteAsync(store, Array.Empty<byte>()), store);
        }
    }

    /// <summary>
    /// SET_PERMS, with the daemon's ENOENT for an owner naming a domain that does not exist
    /// told as that, not as a missing node.
    /// </summary>
    private void SetPermissions(string store, PermissionList permissions)
    {
        try
        {
            Store.SetPermissionsAsync(store, permissions).GetAwaiter().GetResult();
        }
        catch (XenStoreException e) when (e.Code == XenStoreErrorCode.ENOENT && Probe(store) == NodeState.Exists)
        {
            var domains = string.Join(", ", permissions.Entries.Select(p => p.DomainId).Distinct());
            WriteError(new ErrorRecord(new XenStoreException(e.Code, e.ErrorName, store,
                $"Cannot set the permissions of {store} to '{permissions}': the xenstored knows no domain among {domains} (an owner must be dom0, an introduced domain, or one the hypervisor reports)."),
                "XenStore.ENOENT", ErrorCategory.InvalidArgument, store));
        }
        catch (Exception failure) when (failure is XenStoreException || XenStoreErrorRecords.IsUnreachable(failure))
        {
            Report(failure, store);
        }
    }

    private static IEnumerable<string> Picked(Collection<string>? pickList) =>
        pickList is null || pickList.Count == 0 ? PropertyNames
        : PropertyNames.Where(n => pickList.Any(p => new WildcardPattern(p, WildcardOptions.IgnoreCase).IsMatch(n)));

    internal PermissionList? ParsePermissions(object? value, string target)
    {
        var text = PSObject.AsPSObject(value).BaseObject switch
        {
            string s => s,
            System.Collections.IEnumerable items => string.Join(' ', items.Cast<object>().Select(i => i.ToString())),
            var other => other?.ToString() ?? "",
        };
        try
        {
            return PermissionList.Parse(text);
        }
        catch (FormatException e)
        {
            WriteError(new ErrorRecord(e, "XenStore.EINVAL", ErrorCategory.InvalidArgument, target));
            return null;
        }
    }
}
