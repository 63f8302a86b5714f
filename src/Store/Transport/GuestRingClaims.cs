namespace XenStore.Transport;

/// <summary>
/// The guest rings this process has open. A guest has one ring: a second connection for the
/// same domain would re-create the page and rebind the event channel under the first, which
/// then stops hearing anything. So the second is refused instead.
/// </summary>
internal static class GuestRingClaims
{
    private static readonly HashSet<string> Claimed = new(StringComparer.Ordinal);

    /// <summary>Claims <paramref name="ringPath"/>; the returned action gives it back (once).</summary>
    public static Action Claim(string ringPath, uint domid)
    {
        lock (Claimed)
        {
            if (!Claimed.Add(ringPath)) throw new RingInUseException(domid, ringPath);
        }
        var released = 0;
        return () =>
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                lock (Claimed) Claimed.Remove(ringPath);
        };
    }
}

/// <summary>A guest domain's ring is already connected in this process.</summary>
public sealed class RingInUseException(uint domid, string ringPath)
    : InvalidOperationException($"domain {domid}'s ring ({ringPath}) is already connected in this process: a guest has one ring.")
{
    /// <summary>The domain whose ring is taken.</summary>
    public uint DomainId { get; } = domid;
    /// <summary>Its ring page.</summary>
    public string RingPath { get; } = ringPath;
}
