using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>Whatever the permission parsers accept must print and parse back to itself.</summary>
internal static class PermissionChecks
{
    public static void Run(string text)
    {
        if (!Permission.TryParse(text, out var permission)) return;
        Check.That(permission.DomainId <= Permission.MaxDomainId, "a parsed domid is within range");
        Check.That(Permission.TryParse(permission.ToString(), out var again) && again == permission, "an entry prints and parses back to itself");
    }

    public static void Run(IReadOnlyList<string> texts)
    {
        if (!PermissionList.TryParse(texts, out var list)) return;
        Check.That(list!.Entries.Count == texts.Count, "every entry is kept");
        Check.That(PermissionList.TryParse(Payloads.Split(list.ToWire()), out var fromWire) && list.Equals(fromWire),
            "a list goes through its wire form unchanged");
        Check.That(PermissionList.Parse(list.ToString()).Equals(list), "a list goes through its text form unchanged");
    }
}
