using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using XenStore.Tests.Infrastructure;

namespace XenStore.PowerShell.Tests.Infrastructure;

/// <summary>
/// A real PowerShell 7.6 engine in this process, with XenStore.psd1 imported from the
/// repository root the way a user imports it.
/// </summary>
public sealed class EngineSession : IDisposable
{
    private readonly Runspace runspace;

    public EngineSession(bool importModule = true, System.Management.Automation.Host.PSHost? host = null)
    {
        var state = InitialSessionState.CreateDefault2();
        runspace = host is null ? RunspaceFactory.CreateRunspace(state) : RunspaceFactory.CreateRunspace(host, state);
        runspace.Open();
        if (importModule) Run($"Import-Module '{ModuleManifest}' -ErrorAction Stop");
    }

    /// <summary>The manifest at the repository root.</summary>
    public static string ModuleManifest => Path.Combine(TestEnvironment.RepoRoot, "XenStore.psd1");

    public Runspace Runspace => runspace;

    /// <summary>Runs a script; any error record fails the test with its message.</summary>
    public Collection<PSObject> Run(string script, IDictionary<string, object?>? variables = null)
    {
        var (output, errors) = TryRun(script, variables);
        if (errors.Count > 0)
            throw new InvalidOperationException($"script wrote errors:\n{string.Join("\n", errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}"))}\n--- script:\n{script}");
        return output;
    }

    /// <summary>Runs a script and returns its output and error records (terminating errors become records too).</summary>
    public (Collection<PSObject> Output, List<ErrorRecord> Errors) TryRun(string script, IDictionary<string, object?>? variables = null)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        if (variables is not null)
            foreach (var (name, value) in variables) runspace.SessionStateProxy.SetVariable(name, value);
        ps.AddScript(script);
        Collection<PSObject> output;
        var errors = new List<ErrorRecord>();
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException ex)
        {
            output = [];
            errors.Add(ex.ErrorRecord);
        }
        errors.AddRange(ps.Streams.Error);
        return (output, errors);
    }

    /// <summary>Runs a script and returns its single output as T.</summary>
    public T Single<T>(string script, IDictionary<string, object?>? variables = null)
    {
        var output = Run(script, variables);
        Assert.Single(output);
        return (T)LanguagePrimitives.ConvertTo(output[0], typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => runspace.Dispose();
}
