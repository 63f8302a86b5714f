using System.Runtime.CompilerServices;
using XenStore.Client;

namespace XenStore.Daemon;

/// <summary>
/// Runs the socket request path once before a host serves, so that its first client does not
/// wait while the runtime compiles it: on a just-started JIT host the first READ took 14-48 ms
/// (bench/results.md, Scale), every one after it well under a millisecond. The requests go to
/// a scratch daemon on a scratch socket, so nothing of them reaches the real store, its
/// journal or its watchers; compiled code is shared by every daemon of the process.
/// </summary>
public static class RequestPathWarmUp
{
    /// <summary>Rounds of the request mix; enough for each method to be compiled and its call counting to start.</summary>
    private const int Rounds = 40;

    /// <summary>Requests in flight at once in a round, so the framing of a pipelined batch is compiled too.</summary>
    private const int Pipelined = 16;

    /// <summary>
    /// Compiles the request path by use; returns at once where there is nothing to compile (a
    /// Native AOT host). Never throws: a failed warm-up only
    /// leaves the first request slow.
    /// </summary>
    public static async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled) return;
        DirectoryInfo? scratch = null;
        try
        {
            // Made as mkdtemp makes it (mode 0700), so no other user reaches the scratch socket,
            // whose connections are privileged like every socket connection's.
            scratch = Directory.CreateTempSubdirectory("xenstored-warmup-");
            using var daemon = new XenStoreDaemon(new DaemonOptions());
            await using var server = UnixSocketServer.Start(daemon, Path.Combine(scratch.FullName, "socket"));
            await using var client = await XenStoreClient.ConnectSocketAsync(server.SocketPath, cancellationToken).ConfigureAwait(false);
            for (var round = 0; round < Rounds; round++) await RunRoundAsync(client, round, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or XenStoreException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // The first client pays instead.
        }
        finally
        {
            try
            {
                scratch?.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>One of each request a busy host serves most: pipelined writes, reads, listings, permissions, a watch, a transaction.</summary>
    private static async Task RunRoundAsync(XenStoreClient client, int round, CancellationToken cancellationToken)
    {
        var directory = $"/warmup/r{round}";
        var writes = new Task[Pipelined];
        for (var i = 0; i < Pipelined; i++) writes[i] = client.WriteAsync($"{directory}/k{i}", "v", cancellationToken);
        await Task.WhenAll(writes).ConfigureAwait(false);
        await client.ReadAsync($"{directory}/k0", cancellationToken).ConfigureAwait(false);
        await client.ExistsAsync($"{directory}/missing", cancellationToken).ConfigureAwait(false);
        await client.ListAsync(directory, cancellationToken).ConfigureAwait(false);
        var permissions = await client.GetPermissionsAsync(directory, cancellationToken).ConfigureAwait(false);
        await client.SetPermissionsAsync(directory, permissions, cancellationToken).ConfigureAwait(false);
        await using (var watch = await client.WatchAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            await client.WriteAsync($"{directory}/watched", "v", cancellationToken).ConfigureAwait(false);
            await watch.ReadAsync(cancellationToken).ConfigureAwait(false); // the event every new watch fires
        }
        await client.RunTransactionAsync(async transaction =>
        {
            var value = await transaction.ReadAsync($"{directory}/k1", cancellationToken).ConfigureAwait(false);
            await transaction.WriteAsync($"{directory}/k1", value, cancellationToken).ConfigureAwait(false);
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await client.RemoveAsync(directory, cancellationToken).ConfigureAwait(false);
    }
}
