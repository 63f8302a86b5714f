using System.Diagnostics;
using System.Management.Automation;

namespace XenStore.PowerShell.Tests.Infrastructure;

/// <summary>Ctrl+C as the engine delivers it: stopping a running pipeline, which must end at once.</summary>
public static class CtrlC
{
    /// <summary>Stops <paramref name="ps"/> and checks it ended, as Stopped, within 3 s.</summary>
    public static void StopsPromptly(System.Management.Automation.PowerShell ps, IAsyncResult running)
    {
        var clock = Stopwatch.StartNew();
        ps.Stop();
        Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"stopping took {clock.Elapsed}");
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
    }
}
