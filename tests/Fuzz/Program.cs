using SharpFuzz;
using XenStore.Fuzz;

// XenStore.Fuzz codec|daemon                  under afl-fuzz: one input per run, read from stdin
// XenStore.Fuzz codec|daemon FILE...          runs files once each, uninstrumented use: reproduces a crash
if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine($"usage: XenStore.Fuzz {string.Join('|', FuzzTargets.Names)} [FILE...]");
    return 2;
}
if (args.Length > 1)
{
    // Through Fuzzer.Run all the same: outside afl-fuzz it runs the action once, with a
    // trace map of its own for an instrumented XenStore.dll to write to.
    Fuzzer.Run(_ =>
    {
        foreach (var file in args.Skip(1))
        {
            target(File.ReadAllBytes(file));
            Console.WriteLine($"ok: {file}");
        }
    });
    return 0;
}
// In-process (persistent) forkserver: each target builds its own daemon, so runs share no state.
Fuzzer.Run(stream =>
{
    using var input = new MemoryStream();
    stream.CopyTo(input);
    target(input.GetBuffer().AsSpan(0, (int)input.Length));
});
return 0;
