using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

// ModuleBench MANIFEST SOCKET [TREE=10000]
// Times a recursive listing of a TREE-node subtree through the engine (what Get-ChildItem
// -Recurse runs) beside `xenstore-ls -f` on the same daemon; medians of five runs each.
var manifest = args[0];
var socket = args[1];
var treeSize = args.Length > 2 ? int.Parse(args[2]) : 10_000;

var state = InitialSessionState.CreateDefault2();
using var runspace = RunspaceFactory.CreateRunspace(state);
runspace.Open();
Collection Run(string script)
{
    using var ps = PowerShell.Create();
    ps.Runspace = runspace;
    var output = ps.AddScript(script).Invoke();
    if (ps.Streams.Error.Count > 0) throw new InvalidOperationException(string.Join("\n", ps.Streams.Error));
    return new Collection(output.Count);
}
Run($"Import-Module '{manifest}'; Connect-XenStore -Name B -SocketPath '{socket}' | Out-Null");
Run($$"""
    $c = $ExecutionContext.SessionState.Drive.Get('B').Client
    $tasks = foreach ($d in 0..99) { foreach ($l in 0..({{treeSize / 100 - 2}})) { $c.WriteAsync("/modulebench/d$d/leaf$l", "value-$d-$l") } }
    [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]$tasks)
    """);

double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
var engine = new List<double>();
var ls = new List<double>();
var items = 0;
Run("$null = $ExecutionContext.InvokeProvider.ChildItem.Get('B:/modulebench', $true)"); // warm-up
for (var rep = 0; rep < 5; rep++)
{
    var sw = Stopwatch.StartNew();
    items = Run("$ExecutionContext.InvokeProvider.ChildItem.Get('B:/modulebench', $true)").Count;
    engine.Add(sw.Elapsed.TotalMilliseconds);
    var psi = new ProcessStartInfo("xenstore-ls", ["-f", "/modulebench"]) { RedirectStandardOutput = true, UseShellExecute = false };
    psi.Environment["XENSTORED_PATH"] = socket;
    sw.Restart();
    using (var p = Process.Start(psi)!)
    {
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
    }
    ls.Add(sw.Elapsed.TotalMilliseconds);
}
Run("$ExecutionContext.InvokeProvider.Item.Remove('B:/modulebench', $true)");
Console.WriteLine($"get-childitem-recurse-items {items}");
Console.WriteLine($"get-childitem-recurse-ms {Median(engine):F1}");
Console.WriteLine($"xenstore-ls-f-ms {Median(ls):F1}");

internal readonly record struct Collection(int Count);
