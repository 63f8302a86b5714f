using System.Management.Automation;
using System.Text;
using XenStore.Client;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Exports XenStore subtrees, values and permissions, as JSON or as xenstore-ls -fp text.</para>
/// <para type="description">Reads each subtree in one transaction, so the export is a consistent snapshot (inside an open Start-XenStoreTransaction it reads through that transaction instead), and writes it to the pipeline as one string, or to -OutFile. Import-XenStore writes it back. JSON holds one subtree per document; xenstore-ls text can hold several.</para>
/// </summary>
/// <example><code>New-Item xs:/vm/demo/name -Value web01 -Force | Out-Null; Export-XenStore -Path xs:/vm/demo</code></example>
/// <example><code>New-Item xs:/vm/demo/name -Value web01 -Force | Out-Null; Export-XenStore xs:/vm/demo -Format XenstoreLs</code></example>
/// <example><code>New-Item xs:/vm/demo/name -Value web01 -Force | Out-Null; Export-XenStore xs:/vm/demo -OutFile ([IO.Path]::Combine([IO.Path]::GetTempPath(), 'vm-demo.json')); Remove-Item xs:/vm/demo -Recurse; Import-XenStore -InputFile ([IO.Path]::Combine([IO.Path]::GetTempPath(), 'vm-demo.json'))</code></example>
[Cmdlet(VerbsData.Export, "XenStore", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
[OutputType(typeof(string))]
public sealed class ExportXenStoreCommand : XenStorePathCmdlet
{
    /// <summary>The subtrees to export (PowerShell paths on a XenStore drive; wildcards match existing nodes).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Path { get; set; } = [];

    /// <summary>The subtrees to export, taken exactly as written (no wildcards); bound from the PSPath of piped items.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath")]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Json (default; nested nodes with path, value, permissions, children) or XenstoreLs (the lines of xenstore-ls -fp).</summary>
    [Parameter]
    public XenStoreExportFormat Format { get; set; } = XenStoreExportFormat.Json;

    /// <summary>Write the export to this file (UTF-8) instead of the pipeline; an existing file is replaced.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string? OutFile { get; set; }

    private readonly List<(string Path, string Text)> exports = [];

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == "LiteralPath";
        foreach (var path in literal ? LiteralPath : Path)
        {
            foreach (var (drive, store) in ResolvePaths(path, literal, PSDrive))
            {
                var text = RunWithProgress(cancellationToken => ExportAsync(drive, store, cancellationToken), store,
                    () => new ProgressRecord(1, "Export-XenStore", $"Reading {drive.Name}:{store}"));
                if (text is null) continue;
                if (OutFile is null) WriteObject(text);
                else exports.Add((store, text));
            }
        }
    }

    /// <summary>A read-only transaction makes the export a snapshot: a change during the read makes it conflict and read again.</summary>
    private Task<string> ExportAsync(XenStoreDriveInfo drive, string store, CancellationToken cancellationToken)
    {
        Task<string> Read(XenStoreOperations from) => Format == XenStoreExportFormat.Json
            ? XenStoreExport.ExportJsonAsync(from, store, cancellationToken)
            : XenStoreExport.ExportTextAsync(from, store, cancellationToken);
        return drive.Transaction is { } open ? Read(open) : drive.Client.RunTransactionAsync(Read, cancellationToken: cancellationToken);
    }

    protected override void EndProcessing()
    {
        if (OutFile is null || exports.Count == 0) return;
        if (Format == XenStoreExportFormat.Json && exports.Count > 1)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"A JSON export holds one subtree, and {exports.Count} were given: export them to separate files, or use -Format XenstoreLs."),
                "XenStore.EINVAL", ErrorCategory.InvalidArgument, OutFile));
        }
        var file = FileSystemPath(OutFile);
        if (!ShouldProcess(file, $"Export {string.Join(", ", exports.Select(e => e.Path))}")) return;
        try
        {
            File.WriteAllText(file, string.Concat(exports.Select(e => e.Text)), new UTF8Encoding(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "XenStore.ExportFailed", ErrorCategory.WriteError, file));
        }
    }
}
