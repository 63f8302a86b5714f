using XenStore.Tests.Infrastructure;

namespace XenStore.Tests.Peers;

/// <summary>
/// Clients nobody here wrote, against a daemon: Debian's xenstore-utils, Xen's own
/// test-xenstore and pyxs. The same suite runs against our daemon and cxenstored, so every
/// expectation is one the reference daemon meets too.
/// </summary>
public abstract class RealClientSuite(DaemonFixture fixture)
{
    private readonly string root = "/peer" + Guid.NewGuid().ToString("N")[..8];

    private ProcessResult Tool(string name, params string[] args) =>
        TestEnvironment.Run(TestEnvironment.RequireTool(name), args, new Dictionary<string, string> { ["XENSTORED_PATH"] = fixture.Daemon.SocketPath });

    private string Ok(string name, params string[] args)
    {
        var result = Tool(name, args);
        Assert.True(result.ExitCode == 0, $"{name} {string.Join(' ', args)} against {fixture.Daemon.Name}: {result}");
        return result.Stdout;
    }

    [Fact]
    public void XenstoreWriteReadListExistsAndRm()
    {
        Ok("xenstore-write", $"{root}/a", "hello", $"{root}/b/c", "world");
        Assert.Equal("hello\nworld\n", Ok("xenstore-read", $"{root}/a", $"{root}/b/c"));
        Assert.Equal("a\nb\n", Ok("xenstore-list", root));
        Assert.Equal(0, Tool("xenstore-exists", $"{root}/a").ExitCode);
        Assert.NotEqual(0, Tool("xenstore-exists", $"{root}/nope").ExitCode);
        var missing = Tool("xenstore-read", $"{root}/nope");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("couldn't read path", missing.Stderr);
        Ok("xenstore-rm", $"{root}/b");
        Assert.NotEqual(0, Tool("xenstore-read", $"{root}/b/c").ExitCode);
        Ok("xenstore-rm", root);
        Assert.NotEqual(0, Tool("xenstore-exists", root).ExitCode);
    }

    [Fact]
    public async Task TextWrittenThroughTheLibraryReadsTheSameInXenstoreUtilsAndBack()
    {
        const string text = "grüße ✓";
        await using var client = await fixture.Daemon.ConnectAsync();
        await client.WriteAsync($"{root}/from-library", text);
        // -R: the raw value, without a newline (without -R xenstore-read escapes every byte outside ASCII).
        Assert.Equal(text, Ok("xenstore-read", "-R", $"{root}/from-library"));
        Ok("xenstore-write", $"{root}/from-tool", text);
        Assert.Equal(text, await client.ReadStringAsync($"{root}/from-tool"));
        var node = await client.GetNodeAsync($"{root}/from-tool");
        Assert.Equal(text, node.ValueText);
        Ok("xenstore-rm", root);
    }

    [Fact]
    public void XenstoreLsFlatAndWithPermissions()
    {
        Ok("xenstore-write", $"{root}/a", "1", $"{root}/b/c", "x y", $"{root}/b/d", "");
        Ok("xenstore-chmod", $"{root}/a", "n0", "r1");
        Assert.Equal($"{root}/a = \"1\"\n{root}/b = \"\"\n{root}/b/c = \"x y\"\n{root}/b/d = \"\"\n", Ok("xenstore-ls", "-f", root));
        var withPerms = Ok("xenstore-ls", "-fp", root);
        Assert.Contains($"{root}/a = \"1\"   (n0,r1)", withPerms);
        Assert.Contains($"{root}/b/c = \"x y\"   (n0)", withPerms);
        var tree = Ok("xenstore-ls", root);
        Assert.Contains("a = \"1\"", tree);
        Assert.Contains(" c = \"x y\"", tree);
        Ok("xenstore-rm", root);
    }

    [Fact]
    public void XenstoreChmodSetsWhatGetPermsShows()
    {
        Ok("xenstore-write", $"{root}/p", "v");
        Ok("xenstore-chmod", $"{root}/p", "b0", "r3", "w4");
        Assert.Contains("(b0,r3,w4)", Ok("xenstore-ls", "-p", root));
        Assert.NotEqual(0, Tool("xenstore-chmod", $"{root}/p", "q7").ExitCode);
        Ok("xenstore-rm", root);
    }

    [Fact]
    public async Task XenstoreWatchSeesTheInitialEventAndChanges()
    {
        Ok("xenstore-write", $"{root}/w", "");
        var watchPath = TestEnvironment.RequireTool("xenstore-watch");
        var env = new Dictionary<string, string> { ["XENSTORED_PATH"] = fixture.Daemon.SocketPath };
        var watcher = Task.Run(() => TestEnvironment.Run(watchPath, ["-n", "3", $"{root}/w"], env, timeoutMs: 20_000));
        // The watch registers asynchronously: keep changing the subtree until it has seen enough.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!watcher.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            Ok("xenstore-write", $"{root}/w/x", "1");
        }
        var result = await watcher;
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal($"{root}/w", lines[0]);
        Assert.Equal($"{root}/w/x", lines[1]);
        Ok("xenstore-rm", root);
    }

    [Fact]
    public void XensTestXenstorePassesEveryTestOnceAHundredTimesAndRandomly()
    {
        var testXenstore = TestEnvironment.RequireTool(TestEnvironment.TestXenstore);
        foreach (var args in new[] { Array.Empty<string>(), ["-i", "100"], ["-r", "20"] })
        {
            var result = TestEnvironment.Run(testXenstore, args,
                new Dictionary<string, string> { ["XENSTORED_PATH"] = fixture.Daemon.SocketPath }, timeoutMs: 300_000);
            Assert.True(result.ExitCode == 0, $"test-xenstore {string.Join(' ', args)} against {fixture.Daemon.Name}: {result}");
            Assert.DoesNotContain("failed", result.Stdout + result.Stderr, StringComparison.OrdinalIgnoreCase);
            if (args.Length == 0) Assert.Contains("ta rmw", result.Stdout);
        }
    }

    /// <summary>
    /// A toolstack's order: the new domain's home is written and given to it before INTRODUCE
    /// (on Xen the domain already exists then). Domains 17 and 18 exist and are never introduced.
    /// </summary>
    [Fact]
    public void AToolstackScriptGivesNodesToADomainNotYetIntroduced()
    {
        const string home = "/local/domain/17";
        try
        {
            Ok("xenstore-write", $"{home}/name", "guest17", $"{home}/domid", "17", $"{home}/data", "");
            Ok("xenstore-chmod", home, "n0", "r17");
            Ok("xenstore-chmod", "-r", $"{home}/data", "n17");
            Ok("xenstore-chmod", $"{home}/name", "n17", "r0");
            var perms = Ok("xenstore-ls", "-fp", home);
            Assert.Contains($"{home}/name = \"guest17\"   (n17,r0)", perms);
            Assert.Contains($"{home}/data = \"\"   (n17)", perms);
            Assert.Contains($"{home}/domid = \"17\"   (n0)", perms);
            Assert.Contains($"{home} = \"\"   (n0,r17)", Ok("xenstore-ls", "-fp", "/local/domain"));
            // Ids from DOMID_FIRST_RESERVED up are no domains anywhere.
            Assert.NotEqual(0, Tool("xenstore-chmod", $"{home}/domid", "n32767").ExitCode);

            var python = TestEnvironment.RequireTool("/usr/bin/python3");
            const string script = """
                import sys, pyxs
                with pyxs.Client(unix_socket_path=sys.argv[1]) as c:
                    c.transaction()
                    c.mkdir(b"/local/domain/18")
                    c.set_perms(b"/local/domain/18", [b"n18", b"r0"])
                    c.write(b"/local/domain/18/name", b"guest18")
                    c.commit()
                    print(c.get_perms(b"/local/domain/18/name"), c.is_domain_introduced(18))
                    try:
                        c.set_perms(b"/local/domain/18", [b"n32767"])
                    except pyxs.PyXSError as e:
                        print("refused", e.args[0])
                    c.delete(b"/local/domain/18")
                """;
            var result = TestEnvironment.Run(python, ["-c", script, fixture.Daemon.SocketPath], timeoutMs: 60_000);
            Assert.True(result.ExitCode == 0, $"pyxs against {fixture.Daemon.Name}: {result}");
            Assert.Equal("[b'n18', b'r0'] False\nrefused 2\n", result.Stdout);
        }
        finally
        {
            Tool("xenstore-rm", home);
        }
    }

    [Fact]
    public void PyxsWritesReadsListsTransactsAndWatches()
    {
        var python = TestEnvironment.RequireTool("/usr/bin/python3");
        var check = Path.Combine(TestEnvironment.AnchorDir, "pyxs-check.py");
        var result = TestEnvironment.Run(python, [check, fixture.Daemon.SocketPath], timeoutMs: 60_000);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("PYXS PASS", result.Stdout);
    }
}

[Trait("Needs", "peers")]
public sealed class RealClientsOnOurDaemon(OurSocketFixture f) : RealClientSuite(f), IClassFixture<OurSocketFixture>;
[Trait("Needs", "peers")]
public sealed class RealClientsOnCxenstored(CxenstoredFixture f) : RealClientSuite(f), IClassFixture<CxenstoredFixture>;
