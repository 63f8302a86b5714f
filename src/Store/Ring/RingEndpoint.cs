namespace XenStore.Ring;

/// <summary>One end of a domain's ring: the mapped page and its event channel, released together.</summary>
public sealed class RingEndpoint : IDisposable
{
    private readonly IDisposable mapping;

    public RingEndpoint(SharedRing ring, IEventChannel channel, IDisposable mapping)
    {
        Ring = ring;
        Channel = channel;
        this.mapping = mapping;
    }

    public SharedRing Ring { get; }
    public IEventChannel Channel { get; }

    public void Dispose()
    {
        Channel.Dispose();
        mapping.Dispose();
    }
}
