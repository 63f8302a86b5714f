using System.Management.Automation;
using XenStore.PowerShell.Cmdlets;

namespace XenStore.PowerShell;

/// <summary>
/// Runs when the module is imported: registers the -Name completer of the *-ItemProperty
/// cmdlets (<see cref="ItemPropertyNameCompleter"/>), so that
/// Get-ItemProperty xs:/local/domain/0/name -Name &lt;Tab&gt; offers Value, Permissions and Owner.
/// Runs when it is removed: kills the ssh links of -HostName drives, which would otherwise
/// outlive the module (the engine does not dispose drives when their provider goes).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => Transport.SshTransport.CloseAll();

    public void OnImport()
    {
        try
        {
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand("Register-ArgumentCompleter")
                .AddParameter("CommandName", ItemPropertyNameCompleter.Commands)
                .AddParameter("ParameterName", "Name")
                .AddParameter("ScriptBlock", ScriptBlock.Create(
                    "param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters) " +
                    "[XenStore.PowerShell.Cmdlets.ItemPropertyNameCompleter]::Complete($wordToComplete, $fakeBoundParameters, $ExecutionContext.SessionState)"));
            ps.Invoke();
        }
        catch (Exception e) when (e is InvalidOperationException or PSInvalidOperationException or RuntimeException)
        {
            // No runspace to register in (an import outside any session): completion is a convenience.
        }
    }
}
