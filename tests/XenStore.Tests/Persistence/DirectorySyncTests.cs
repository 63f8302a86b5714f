using XenStore.Daemon.Persistence;
using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Persistence;

/// <summary>The directory fsync that makes a snapshot's rename durable reaches the OS, and says so when it cannot.</summary>
public sealed class DirectorySyncTests
{
    [Fact]
    public void ADirectoryIsSyncedAndAMissingOneIsAnIOException()
    {
        if (OperatingSystem.IsWindows()) return;
        var directory = TestEnvironment.NewRunDir("dirsync");
        try
        {
            DirectorySync.Sync(directory);
            var missing = Path.Combine(directory, "missing");
            var refusal = Assert.Throws<IOException>(() => DirectorySync.Sync(missing));
            Assert.Contains(missing, refusal.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
