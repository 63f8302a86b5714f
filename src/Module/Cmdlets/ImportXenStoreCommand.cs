using System.Management.Automation;
using XenStore.Client;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Imports a subtree exported by Export-XenStore (JSON or xenstore-ls -fp text) in one transaction.</para>
/// <para type="description">Writes every node's value and permissions in a single transaction of its own, retried if it conflicts: all of the import happens or none of it. The format is recognised from the text (a JSON document starts with '{'); -Format insists on one. Without -Destination each node goes back to the path it was exported from, on -Drive, else the current XenStore drive, else xs: (an export holds XenStore paths, not drive names); with -Destination the exported subtree's top is written there and the rest below it. Text comes from -InputFile, or from the pipeline (Export-XenStore's string, or Get-Content's lines, joined into one document). -WhatIf says what would be written and writes nothing.</para>
/// </summary>
/// <example><code>New-Item xs:/vm/demo/name -Value web01 -Force | Out-Null; Export-XenStore xs:/vm/demo | Import-XenStore -Destination xs:/vm/demo-copy</code></example>
/// <example><code>'/vm/restored = ""   (n0)', '/vm/restored/name = "web02"   (n0,r5)' | Import-XenStore -Format XenstoreLs</code></example>
/// <example><code>New-Item xs:/vm/demo/name -Value web01 -Force | Out-Null; Export-XenStore xs:/vm/demo | Import-XenStore -Destination xs:/vm/demo-copy -WhatIf</code></example>
[Cmdlet(VerbsData.Import, "XenStore", DefaultParameterSetName = "InputObject", SupportsShouldProcess = true)]
public sealed class ImportXenStoreCommand : XenStoreCmdlet
{
    /// <summary>A file written by Export-XenStore -OutFile (or by xenstore-ls -fp).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "InputFile")]
    [ArgumentCompleter(typeof(FileSystemPathCompleter))]
    public string InputFile { get; set; } = "";

    /// <summary>The exported text: one string, or lines, from the pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject", ValueFromPipeline = true)]
    [AllowEmptyString]
    public string[] InputObject { get; set; } = [];

    /// <summary>Where the exported subtree's top node goes (a PowerShell path on a XenStore drive); default: where it was exported from.</summary>
    [Parameter]
    public string? Destination { get; set; }

    /// <summary>The drive to import into without -Destination (default: the current XenStore drive, else xs:).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    /// <summary>Json or XenstoreLs: refuse input in the other format (default: recognise it).</summary>
    [Parameter]
    public XenStoreExportFormat? Format { get; set; }

    private readonly List<string> lines = [];

    protected override void ProcessRecord() => lines.AddRange(InputObject);

    protected override void EndProcessing()
    {
        var source = ParameterSetName == "InputFile" ? FileSystemPath(InputFile) : "the pipeline";
        var text = ParameterSetName == "InputFile" ? ReadFile(source) : string.Join('\n', lines);
        var detected = XenStoreExport.IsJson(text) ? XenStoreExportFormat.Json : XenStoreExportFormat.XenstoreLs;
        if (Format is { } wanted && wanted != detected)
            Refuse(new FormatException($"The input from {source} is {detected}, not {wanted}."), source);
        var (drive, destination) = Destination is null ? (ResolveDrive(Drive), null) : ResolvePath(Destination, Drive);
        IReadOnlyList<(string Path, byte[] Value, Protocol.PermissionList? Permissions)> nodes = [];
        try
        {
            nodes = XenStoreExport.Parse(text, destination);
        }
        catch (FormatException e)
        {
            Refuse(e, source);
        }
        if (nodes.Count == 0) Refuse(new FormatException($"The input from {source} holds no XenStore nodes."), source);
        var top = nodes[0].Path;
        if (!ShouldProcess($"{drive.Name}:{top}", $"Import {nodes.Count} node(s) from {source} in one transaction")) return;
        var written = new WrittenCount();
        RunWithProgress(cancellationToken => XenStoreExport.ImportAsync(drive.Client, nodes, written, cancellationToken), top, () =>
        {
            var done = written.Value;
            return new ProgressRecord(1, "Import-XenStore", $"{drive.Name}:{top}: {done} of {nodes.Count} node(s) written")
            {
                PercentComplete = Math.Min(100, done * 100 / nodes.Count),
            };
        });
    }

    /// <summary>
    /// The import's count, kept where the pipeline thread reads it (Progress&lt;T&gt; would post
    /// each report to a synchronization context the cmdlet does not have).
    /// </summary>
    private sealed class WrittenCount : IProgress<int>
    {
        private int value;
        public int Value => Volatile.Read(ref value);
        public void Report(int count) => Volatile.Write(ref value, count);
    }

    private string ReadFile(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(e, e is FileNotFoundException or DirectoryNotFoundException ? "XenStore.ENOENT" : "XenStore.EIO",
                e is FileNotFoundException or DirectoryNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.ReadError, file));
            throw;
        }
    }

    /// <summary>Input that is not an export stops the command before anything is written.</summary>
    private void Refuse(Exception e, string source) =>
        ThrowTerminatingError(new ErrorRecord(e, "XenStore.EINVAL", ErrorCategory.InvalidData, source));
}
