using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace XenStore.Tests.Infrastructure;

/// <summary>
/// A guest domain in another process: tests/guest/xs_ring_guest.py, written from the
/// protocol alone, driving the simulated hypervisor's ring. Commands and answers are JSON lines.
/// </summary>
public sealed class RingGuestProcess : IDisposable
{
    private readonly Process process;

    private RingGuestProcess(Process process) => this.process = process;

    public static string Script => Path.Combine(TestEnvironment.RepoRoot, "tests", "guest", "xs_ring_guest.py");

    /// <summary>Starts guest <paramref name="domid"/>: it creates DIR/D/ring and binds its event channel.</summary>
    public static RingGuestProcess Start(string simDirectory, uint domid) => Launch([Script, simDirectory, domid.ToString()]);

    /// <summary>Starts many guests in one helper process running a fixed workload after "go".</summary>
    public static RingGuestProcess StartWorkload(string simDirectory, uint first, int count, int operations) =>
        Launch([Script, simDirectory, "--workload", first.ToString(), count.ToString(), operations.ToString()]);

    private static RingGuestProcess Launch(string[] args)
    {
        var python = TestEnvironment.RequireTool("python3");
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var guest = new RingGuestProcess(Process.Start(psi)!);
        var ready = guest.ReadLine(TimeSpan.FromSeconds(20));
        Assert.True(ready?["ready"]?.GetValue<bool>() == true, $"guest did not start: {ready}");
        return guest;
    }

    /// <summary>Sends one command object and returns the answer line.</summary>
    public JsonObject Command(object command, TimeSpan? timeout = null)
    {
        process.StandardInput.WriteLine(JsonSerializer.Serialize(command));
        process.StandardInput.Flush();
        return ReadLine(timeout ?? TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("guest answered nothing: " + process.StandardError.ReadToEnd());
    }

    /// <summary>Writes a line without waiting for an answer (the workload's "go").</summary>
    public void Say(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    public JsonObject? ReadLine(TimeSpan timeout)
    {
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout)) throw new TimeoutException("guest process did not answer in time");
        return line.Result is null ? null : JsonNode.Parse(line.Result)!.AsObject();
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(2000)) process.Kill();
            }
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
