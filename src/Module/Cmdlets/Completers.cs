using System.Buffers;
using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>Completes XenStore drive names.</summary>
public sealed class DriveNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = new WildcardPattern(wordToComplete + "*", WildcardOptions.IgnoreCase);
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        var drives = ps.AddScript($"$ExecutionContext.SessionState.Drive.GetAllForProvider('{XenStoreProvider.ProviderName}')").Invoke<PSDriveInfo>();
        return drives.Select(d => d.Name).Where(pattern.IsMatch).Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}

/// <summary>Completes domain ids from the domains listed under /local/domain on xs:.</summary>
public sealed class DomainIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        var names = ps.AddScript("if ($ExecutionContext.InvokeProvider.Item.Exists('xs:/local/domain')) { $ExecutionContext.InvokeProvider.ChildItem.GetNames('xs:/local/domain', 'ReturnMatchingContainers', $false) }").Invoke<string>();
        return names.Where(n => n.StartsWith(wordToComplete, StringComparison.Ordinal) && uint.TryParse(n, out _))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, $"domain {n}"));
    }
}

/// <summary>
/// Completes file-system paths, wherever the current location is: a relative path is taken from
/// the current file-system location (as the cmdlets resolve it), not from an xs: location, so
/// Start-XenStoreDaemon -RunDirectory, Export-XenStore -OutFile and their kind complete files
/// and directories while the session works in xs:.
/// </summary>
public sealed class FileSystemPathCompleter : IArgumentCompleter
{
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(" '\"`$&(){}[];,|<>@#");

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? "").Trim('\'', '"');
        string current;
        using (var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
            current = ps.AddScript("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath").Invoke<string>().FirstOrDefault() ?? Environment.CurrentDirectory;
        var cut = word.LastIndexOfAny(OperatingSystem.IsWindows() ? ['/', '\\'] : ['/']) + 1;
        var (typedDirectory, prefix) = (word[..cut], word[cut..]);
        var directory = typedDirectory == "~/" || typedDirectory.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), typedDirectory[2..])
            : Path.Combine(current, typedDirectory.Length == 0 ? "." : typedDirectory);
        if (!Directory.Exists(directory)) return [];
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        return entries
            .Where(e => e.Name.StartsWith(prefix, comparison) && (prefix.StartsWith('.') || !e.Name.StartsWith('.')))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .Select(e =>
            {
                var text = typedDirectory + e.Name;
                if (text.AsSpan().ContainsAny(NeedsQuotes)) text = "'" + text.Replace("'", "''") + "'";
                var container = e is DirectoryInfo;
                return new CompletionResult(text, e.Name, container ? CompletionResultType.ProviderContainer : CompletionResultType.ProviderItem, e.FullName);
            })
            .ToList();
    }
}

/// <summary>
/// Completes the -Name of Get-ItemProperty and the other *-ItemProperty cmdlets with the
/// properties the item at -Path has (for a XenStore node: Value, Permissions, Owner), by asking
/// its provider as Get-ItemProperty does. Registered for those cmdlets when the module is
/// imported (<see cref="ModuleInitializer"/>); on any provider it offers the item's own properties.
/// </summary>
public static class ItemPropertyNameCompleter
{
    internal static readonly string[] Commands =
        ["Get-ItemProperty", "Get-ItemPropertyValue", "Set-ItemProperty", "Clear-ItemProperty", "Remove-ItemProperty", "Rename-ItemProperty", "Copy-ItemProperty", "Move-ItemProperty"];

    private static readonly HashSet<string> EngineProperties = new(StringComparer.OrdinalIgnoreCase) { "PSPath", "PSParentPath", "PSChildName", "PSDrive", "PSProvider", "PSIsContainer" };

    /// <summary>
    /// The completions of <paramref name="wordToComplete"/> as a property name of the items the bound
    /// -Path or -LiteralPath names, read through <paramref name="sessionState"/>'s providers as
    /// Get-ItemProperty reads them (the cmdlet itself may not be loaded in a hosted session).
    /// </summary>
    public static IEnumerable<CompletionResult> Complete(string wordToComplete, IDictionary fakeBoundParameters, SessionState sessionState)
    {
        var literal = fakeBoundParameters?["LiteralPath"] is not null;
        var path = (literal ? fakeBoundParameters!["LiteralPath"] : fakeBoundParameters?["Path"]) switch
        {
            null => null,
            string s => new[] { s },
            IEnumerable items => items.Cast<object>().Select(i => i?.ToString() ?? "").ToArray(),
            var other => new[] { other.ToString() ?? "" },
        };
        if (path is null || path.Length == 0 || sessionState is null) return [];
        var word = (wordToComplete ?? "").Trim('\'', '"');
        Collection<PSObject> found;
        try
        {
            found = sessionState.InvokeProvider.Property.Get(path, null, literal);
        }
        catch (Exception e) when (e is RuntimeException or ArgumentException or NotSupportedException or InvalidOperationException or IOException)
        {
            return [];
        }
        var names = new List<string>();
        foreach (var item in found)
            foreach (var property in item.Properties)
                if (!EngineProperties.Contains(property.Name) && !names.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                    names.Add(property.Name);
        return names
            .Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n.AsSpan().ContainsAny(NeedsQuoting) ? "'" + n.Replace("'", "''") + "'" : n, n, CompletionResultType.ParameterValue, n))
            .ToList();
    }

    private static readonly SearchValues<char> NeedsQuoting = SearchValues.Create(" '\"`$&(){}[];,|<>@#");
}
