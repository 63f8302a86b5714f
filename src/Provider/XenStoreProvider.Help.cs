using System.Globalization;
using System.Management.Automation.Provider;
using System.Xml;

namespace XenStore.PowerShell;

/// <summary>
/// Provider-specific cmdlet help: Get-Help Get-ChildItem -Path xs: (or Get-Help from an xs:
/// location) shows what the cmdlet does on XenStore nodes, with the provider's parameters. The
/// help is the command MAML under providerHelp/CmdletHelpPaths in the provider's help file
/// (en-US/XenStore.PowerShell.dll-Help.xml, built by scripts/make-help.py), found as the
/// engine finds the provider's own help: beside the module manifest, then beside the assembly.
/// </summary>
public sealed partial class XenStoreProvider : ICmdletProviderSupportsHelp
{
    private const string HelpFileName = "XenStore.PowerShell.dll-Help.xml";

    public string GetHelpMaml(string helpItemName, string path)
    {
        if (string.IsNullOrEmpty(helpItemName)) return "";
        // A module-qualified name (Microsoft.PowerShell.Management\Get-ChildItem) names the same cmdlet.
        var name = helpItemName[(helpItemName.LastIndexOf('\\') + 1)..];
        var dash = name.IndexOf('-');
        if (dash <= 0 || dash == name.Length - 1) return "";
        var (verb, noun) = (name[..dash], name[(dash + 1)..]);
        foreach (var file in HelpFiles())
        {
            try
            {
                var document = new XmlDocument { XmlResolver = null };
                using (var reader = XmlReader.Create(file, new XmlReaderSettings { XmlResolver = null, DtdProcessing = DtdProcessing.Prohibit }))
                    document.Load(reader);
                var namespaces = new XmlNamespaceManager(document.NameTable);
                namespaces.AddNamespace("msh", "http://msh");
                namespaces.AddNamespace("command", "http://schemas.microsoft.com/maml/dev/command/2004/10");
                var command = document.SelectNodes("/msh:helpItems/msh:providerHelp/msh:CmdletHelpPaths/msh:CmdletHelpPath/command:command", namespaces)?
                    .Cast<XmlNode>()
                    .FirstOrDefault(c => Matches(c, "verb", verb, namespaces) && Matches(c, "noun", noun, namespaces));
                return command?.OuterXml ?? "";
            }
            catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException or System.Xml.XPath.XPathException)
            {
                // An unreadable help file is no help: the engine shows the cmdlet's own.
            }
        }
        return "";
    }

    private static bool Matches(XmlNode command, string part, string value, XmlNamespaceManager namespaces) =>
        string.Equals(command.SelectSingleNode($"command:details/command:{part}", namespaces)?.InnerText.Trim(), value, StringComparison.OrdinalIgnoreCase);

    /// <summary>The help files to try: the UI culture's (and its parents'), then en-US, beside the module's manifest and beside this assembly.</summary>
    private IEnumerable<string> HelpFiles()
    {
        var file = string.IsNullOrEmpty(ProviderInfo?.HelpFile) ? HelpFileName : Path.GetFileName(ProviderInfo!.HelpFile);
        var bases = new[] { ProviderInfo?.Module?.ModuleBase, Path.GetDirectoryName(typeof(XenStoreProvider).Assembly.Location) }
            .Where(d => !string.IsNullOrEmpty(d)).Distinct();
        var cultures = new List<string>();
        for (var culture = CultureInfo.CurrentUICulture; !string.IsNullOrEmpty(culture.Name); culture = culture.Parent)
            cultures.Add(culture.Name);
        cultures.Add("en-US");
        foreach (var directory in bases)
            foreach (var culture in cultures.Distinct())
            {
                var candidate = Path.Combine(directory!, culture, file);
                if (File.Exists(candidate)) yield return candidate;
            }
    }
}
