using System.Collections;
using System.Runtime.InteropServices;
using System.Text;

namespace XenStore.Host;

/// <summary>
/// The collector's allocation budgets the daemon runs with: small ones, so that each young
/// collection has little to copy. While a store grows, most of what a write allocates into it
/// survives (the new node, the copied path to it); with the runtime's default budgets
/// (16 MiB for gen0 here, gen1 sized by survival) a young collection copied what the last
/// tens of milliseconds built and stopped every request for 4–20 ms. With 1 MiB and 512 KiB,
/// the same million-node fill pauses 0.3 ms per gen0 and 1.5 ms per gen1 at the median, for
/// 20–50 % more collector time in all (bench/results.md, "Scale").
/// The runtime reads the gen1 budget only from its environment when it starts, so the host
/// starts itself again, once, with both set (same process id, same arguments); a budget the
/// caller set already, even to 0 (the runtime's default), is left alone. The native host
/// (Native AOT) honours both variables as the JIT host does: a fixed allocation loop collected
/// gen0 76 times without them and 1,355 times with them (1,342 under the JIT), and gen1 389
/// times with the gen0 budget alone against 1,354 with both.
/// </summary>
internal static class CollectorBudgets
{
    private const string Gen0Variable = "DOTNET_GCGen0MaxBudget";
    private const string Gen1Variable = "DOTNET_GCGen1MaxBudget";

    /// <summary>1 MiB, in the hexadecimal the runtime reads.</summary>
    private const string Gen0Budget = "100000";

    /// <summary>512 KiB.</summary>
    private const string Gen1Budget = "80000";

    /// <summary>
    /// Returns at once when the budgets are set (or the platform cannot exec); otherwise
    /// replaces this process with itself, budgets set, and does not return. A failed exec
    /// says so and returns: the daemon then runs with the runtime's defaults.
    /// </summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable(Gen0Variable) is not null
            || Environment.GetEnvironmentVariable(Gen1Variable) is not null) return;
        string[] argv;
        try
        {
            // The command line as the kernel has it ("dotnet host.dll ...", or the apphost's or
            // the native executable's own), which Environment's view of it rewrites; /proc/self/exe
            // is dotnet, the apphost or the native executable accordingly.
            argv = Encoding.UTF8.GetString(File.ReadAllBytes("/proc/self/cmdline")).TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return;
        }
        var environment = new List<string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            environment.Add($"{variable.Key}={variable.Value}");
        environment.Add($"{Gen0Variable}={Gen0Budget}");
        environment.Add($"{Gen1Variable}={Gen1Budget}");
        environment.Add(null);
        if (Execve("/proc/self/exe", [.. argv, null], [.. environment]) < 0)
            Console.Error.WriteLine($"xenstored-ps: cannot restart with the collector budgets (errno {Marshal.GetLastPInvokeError()}); running with the runtime's defaults");
    }

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(
        [MarshalAs(UnmanagedType.LPStr)] string path,
        [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] argv,
        [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] envp);
}
