using System.Globalization;

// BootStorm --target NAME=SOCKET,PID[,SIMXENDIR] [--target ...] [--domains 100,500] [--reps 3] [--warmup 20] [--timeout 600] [--poll-ms 10000]
//
// Boots N domains at once on each target daemon, as a toolstack, dom0's backend driver and the
// guests' frontends do it, and prints one CSV row per storm on stdout (progress on stderr).
// Targets are interleaved: in repetition r the list is rotated by r, so none always goes first.
// Before the timed storms each target boots WARMUP domains once (untimed), so that this
// process's JIT, and our daemon's, have reached their steady state for every target alike.
// A storm that fails ends the run with an error. One that does not finish within the timeout
// (seconds) is recorded (completed = 0, with what it did until then) and its connections are
// closed; that target then sits out the rest of the run, since its store is no longer the
// clean starting point of a storm.
// --poll-ms: how long the backend driver waits for an event before it looks again (see MissedEvents).
var targets = new List<Target>();
int[] sizes = [100, 500];
var reps = 3;
var warmup = 20;
var timeout = TimeSpan.FromSeconds(600);
var poll = TimeSpan.FromSeconds(10);
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i++])
    {
        case "--target": targets.Add(Target.Parse(value)); break;
        case "--domains": sizes = value.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--reps": reps = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--poll-ms": poll = TimeSpan.FromMilliseconds(int.Parse(value, CultureInfo.InvariantCulture)); break;
        case "--timeout": timeout = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); break;
        default: throw new ArgumentException($"Unknown option {args[i - 1]}.");
    }
}
if (targets.Count == 0) throw new ArgumentException("Name at least one --target NAME=SOCKET,PID[,SIMXENDIR].");

const uint FirstDomid = 1;
if (warmup > 0)
    foreach (var t in targets)
    {
        var w = await Storm.RunAsync(t, warmup, FirstDomid, timeout, poll);
        Console.Error.WriteLine($"boot-storm: warm-up {t.Name}: {warmup} domains in {w.Seconds:F2} s");
    }

var abandoned = new HashSet<Target>();
Console.WriteLine("domains,rep,target,guests,completed,seconds,eagain,eagain_toolstack,eagain_backend,eagain_frontend,requests,found_by_poll,daemon_cpu_s,client_cpu_s");
foreach (var n in sizes)
    for (var rep = 1; rep <= reps; rep++)
        for (var k = 0; k < targets.Count; k++)
        {
            var t = targets[(k + rep - 1) % targets.Count];
            if (abandoned.Contains(t)) continue;
            var r = await Storm.RunAsync(t, n, FirstDomid, timeout, poll);
            if (!r.Completed) abandoned.Add(t);
            var row = string.Create(CultureInfo.InvariantCulture,
                $"{n},{rep},{t.Name},{t.GuestTransport},{(r.Completed ? 1 : 0)},{r.Seconds:F3},{r.Retries.Total},{r.Retries.Of(Role.Toolstack)},{r.Retries.Of(Role.Backend)},{r.Retries.Of(Role.Frontend)},{r.Requests},{r.MissedEvents},{r.DaemonCpuSeconds:F3},{r.ClientCpuSeconds:F3}");
            Console.WriteLine(row);
            Console.Error.WriteLine($"boot-storm: {row} (EAGAIN by transaction: {r.Retries.ByKind})");
        }
