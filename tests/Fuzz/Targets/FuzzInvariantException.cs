namespace XenStore.Fuzz;

/// <summary>
/// An input broke an invariant. It is thrown, never caught by the targets: afl-fuzz records
/// the input as a crash, and the replay test fails with this message.
/// </summary>
public sealed class FuzzInvariantException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Assertions for the targets, without any test framework.</summary>
internal static class Check
{
    public static void That(bool condition, string invariant)
    {
        if (!condition) throw new FuzzInvariantException(invariant);
    }
}
