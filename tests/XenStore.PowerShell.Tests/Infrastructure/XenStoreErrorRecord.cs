using System.Management.Automation;

namespace XenStore.PowerShell.Tests.Infrastructure;

public static class XenStoreErrorRecord
{
    /// <summary>
    /// The module's own ErrorRecord among a command's errors: the engine's intrinsics wrap it
    /// in a method-call exception, cmdlets write it as it is.
    /// </summary>
    public static ErrorRecord Among(List<ErrorRecord> errors)
    {
        Assert.NotEmpty(errors);
        foreach (var error in errors)
        {
            if (error.FullyQualifiedErrorId.StartsWith("XenStore.", StringComparison.Ordinal)) return error;
            for (Exception? e = error.Exception; e is not null; e = e.InnerException)
                if (e is IContainsErrorRecord { ErrorRecord: var inner } && inner.FullyQualifiedErrorId.StartsWith("XenStore.", StringComparison.Ordinal))
                    return inner;
        }
        throw new Xunit.Sdk.XunitException("no XenStore error record among: " + string.Join("; ", errors.Select(e => e.FullyQualifiedErrorId)));
    }
}
