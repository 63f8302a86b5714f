using System.Collections;
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
