namespace XenStore.Tests.Infrastructure;

/// <summary>
/// A test of the native daemon host (./build.sh native): skipped, saying why, when the executable
/// is not built and this is not CI; under CI it runs, and fails when the host is missing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NativeHostFactAttribute : FactAttribute
{
    public NativeHostFactAttribute()
    {
        if (StandaloneDaemon.NativeHostMissing is { } reason) Skip = reason;
    }
}
