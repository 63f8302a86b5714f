using XenStore.Daemon;
using XenStore.Daemon.Persistence;
using XenStore.Protocol;

namespace XenStore.Fuzz;

/// <summary>
/// Bytes as what a crash, a bug or a bad disk could leave in a journal segment. Byte 0 bit 0
/// set wraps the rest in one record with a valid CRC, so the fuzzer reaches the record parser
/// and the replay; clear writes the rest as the raw file, torn and corrupt tails included.
/// The daemon must either refuse to start with an InvalidDataException that says what is
/// wrong, or recover a consistent store; recovering the same files again must give the same
/// store, with a write made in between kept.
/// </summary>
internal static class JournalTarget
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"xsps-fuzz-journal-{Environment.ProcessId}");

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        Directory.CreateDirectory(Folder);
        var basePath = Path.Combine(Folder, "store");
        File.WriteAllBytes(basePath + ".journal.00000000", (input[0] & 1) != 0 ? RecordFile.Frame(input[1..]) : input[1..].ToArray());

        string before;
        try
        {
            using var daemon = Open(basePath);
            var probe = new Probe(daemon);
            StoreConsistency.Check(daemon, probe);
            Check.That(probe.Write("/fuzz-probe", "kept").Type == MessageType.Write, "a recovered daemon takes a WRITE");
            before = StoreConsistency.Dump(probe);
        }
        catch (InvalidDataException refused)
        {
            Check.That(refused.Message.Length > 0, "a refusal says why");
            return;
        }
        using var again = Open(basePath);
        Check.That(StoreConsistency.Dump(new Probe(again)) == before, "a second recovery finds the same store, with the write made in between");
    }

    private static XenStoreDaemon Open(string basePath) =>
        new(new DaemonOptions { Persistence = new PersistenceOptions(basePath) { Fsync = FsyncPolicy.Never } });
}
