using XenStore.Protocol;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>
/// The daemon as its own process, persisting to a disk that fills up (a small tmpfs): once
/// the journal cannot grow, writes are refused with ENOSPC while reads go on; when space is
/// freed, writes are accepted again without a restart; and after kill -9 every acknowledged
/// write is back and no refused one is. The daemon stays up throughout.
/// </summary>
public sealed class FullDiskTests
{
    private const int DiskBytes = 512 << 10;

    /// <summary>Most of the disk, taken before the daemon starts and given back later.</summary>
    private const int FillerBytes = 384 << 10;

    [Fact]
    public void AFullDiskRefusesWritesWithEnospcAndLosesNothingAcknowledged()
    {
        var runDir = TestEnvironment.NewRunDir("fulldisk");
        var disk = Path.Combine(runDir, "disk");
        Directory.CreateDirectory(disk);
        // Needs root (as the test suite runs, locally and in CI): a missing mount is a failure, not a skip.
        var mount = TestEnvironment.Run(TestEnvironment.RequireTool("mount"), ["-t", "tmpfs", "-o", $"size={DiskBytes / 1024}k", "tmpfs", disk]);
        if (mount.ExitCode != 0) throw new InvalidOperationException($"cannot mount a small tmpfs on {disk} (this test needs root): {mount}");
        var acknowledged = new Dictionary<string, string>();
        var refused = new List<string>();
        var store = Path.Combine(disk, "store");
        StandaloneDaemon? daemon = null;
        try
        {
            var filler = Path.Combine(disk, "filler");
            File.WriteAllBytes(filler, new byte[FillerBytes]);
            daemon = StandaloneDaemon.Start(["--persist", store], runDir: runDir);
            using (var client = new RawSocketClient(daemon.SocketPath))
            {
                Message Write(string path, string value)
                {
                    try
                    {
                        return client.Write(path, value);
                    }
                    catch (Exception e) when (e is IOException or TimeoutException)
                    {
                        throw new InvalidOperationException(
                            $"WRITE {path} got no reply ({e.Message}) after {acknowledged.Count} acknowledged and {refused.Count} refused; " +
                            $"the daemon has {(daemon.HasExited ? "exited" : "not exited")}", e);
                    }
                }
                void Classify(string path, string value, Message reply)
                {
                    if (reply.Type == MessageType.Write) acknowledged[path] = value;
                    else if (reply.ErrorName() == "ENOSPC") refused.Add(path);
                    else Assert.Fail($"WRITE {path}: expected OK or ENOSPC, got {reply}");
                }

                // Until the journal cannot grow: a few writes after the first refusal, to see it hold.
                for (var i = 0; i < 5000 && refused.Count < 5; i++)
                {
                    var (path, value) = ($"/full/n{i}", $"{i}:".PadRight(300, 'v'));
                    Classify(path, value, Write(path, value));
                }
                Assert.True(refused.Count > 0, $"{acknowledged.Count} writes and none refused with ENOSPC: the disk never filled");
                Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes acknowledged before the disk was full");
                Assert.False(daemon.HasExited, "the daemon exited on a full disk");

                // (a) Reads go on and show exactly what was acknowledged.
                foreach (var (path, value) in acknowledged) Assert.Equal(value, client.Send(MessageType.Read, path).Text());
                foreach (var path in refused) Assert.Equal("ENOENT", client.Send(MessageType.Read, path).ErrorName());

                // (b) Space is freed: writes are accepted again, without a restart (after a moment, at most).
                File.Delete(filler);
                var deadline = DateTime.UtcNow.AddSeconds(5);
                for (var j = 0; ; j++)
                {
                    var (path, value) = ($"/freed/n{j}", $"freed-{j}");
                    var reply = Write(path, value);
                    Classify(path, value, reply);
                    if (reply.Type == MessageType.Write) break;
                    Assert.True(DateTime.UtcNow < deadline, $"space was freed, but WRITEs are still refused: {reply}");
                    Thread.Sleep(50);
                }
                for (var j = 0; j < 20; j++)
                {
                    var (path, value) = ($"/more/n{j}", $"more-{j}");
                    var reply = Write(path, value);
                    Assert.True(reply.Type == MessageType.Write, $"WRITE {path} after space was freed: {reply}");
                    acknowledged[path] = value;
                }
            }
            Assert.False(daemon.HasExited, "the daemon exited");
            daemon.Kill();
            daemon.Dispose();
            daemon = null;

            // (c) Restarted on the same files, with space.
            using var restarted = StandaloneDaemon.Start(["--persist", store], runDir: runDir);
            using var check = new RawSocketClient(restarted.SocketPath);
            foreach (var (path, value) in acknowledged)
                Assert.True(check.Send(MessageType.Read, path).Text() == value, $"after kill -9 and restart, {path} lost its acknowledged value");
            foreach (var path in refused)
                Assert.True(check.Send(MessageType.Read, path).ErrorName() == "ENOENT", $"after restart, the refused write of {path} is there");
        }
        finally
        {
            if (daemon is not null)
            {
                if (!daemon.HasExited) daemon.Kill();
                daemon.Dispose();
            }
            var umount = TestEnvironment.Run(TestEnvironment.RequireTool("umount"), [disk]);
            if (umount.ExitCode != 0) TestEnvironment.Run(TestEnvironment.RequireTool("umount"), ["-l", disk]);
            try { Directory.Delete(runDir, recursive: true); } catch (IOException) { }
        }
    }
}
