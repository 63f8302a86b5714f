namespace XenStore.Ring;

/// <summary>One end of a domain's ring: the mapped page and its event channel, released together.</summary>
public sealed class RingEndpoint : IDisposable
{
    private readonly IDisposable mapping;

    /// <summary>Ties a ring to its channel and to what keeps its page mapped (<paramref name="mapping"/>).</summary>
    public RingEndpoint(SharedRing ring, IEventChannel channel, IDisposable mapping)
    {
        Ring = ring;
        Channel = channel;
        this.mapping = mapping;
    }

    /// <summary>The two rings in the shared page.</summary>
    public SharedRing Ring { get; }
    /// <summary>The channel each side notifies the other through.</summary>
    public IEventChannel Channel { get; }

    /// <summary>Closes the channel, then unmaps the page.</summary>
    public void Dispose()
    {
        Channel.Dispose();
        mapping.Dispose();
    }
}
