namespace XenStore.Ring;

/// <summary>
/// struct xenstore_domain_interface (xen/include/public/io/xs_wire.h): one 4 KiB page with a
/// request ring (guest → daemon), a response ring (daemon → guest) and their indices.
/// </summary>
public static class RingLayout
{
    public const int PageSize = 4096;

    /// <summary>XENSTORE_RING_SIZE: bytes in each ring; indices run free and wrap modulo 2^32.</summary>
    public const int RingSize = 1024;

    public const int RequestRing = 0;
    public const int ResponseRing = 1024;
    public const int RequestConsumer = 2048;
    public const int RequestProducer = 2052;
    public const int ResponseConsumer = 2056;
    public const int ResponseProducer = 2060;
    public const int ServerFeatures = 2064;
    public const int Connection = 2068;
    public const int Error = 2072;
    public const int EventChannelPort = 2076;

    /// <summary>XENSTORE_SERVER_FEATURE_RECONNECTION: the guest may ask for a ring reset.</summary>
    public const uint FeatureReconnection = 1;

    /// <summary>XENSTORE_SERVER_FEATURE_ERROR: the error field is meaningful.</summary>
    public const uint FeatureError = 2;

    /// <summary>connection field: steady state.</summary>
    public const uint Connected = 0;

    /// <summary>connection field: the guest asked for a reset and waits for <see cref="Connected"/>.</summary>
    public const uint Reconnect = 1;
}

/// <summary>Values of the ring's error field (XENSTORE_ERROR_*).</summary>
public enum RingError : uint
{
    None = 0,
    /// <summary>The event channel does not work.</summary>
    Communication = 1,
    /// <summary>Impossible producer/consumer indices.</summary>
    RingIndex = 2,
    /// <summary>A message longer than the protocol allows.</summary>
    Protocol = 3,
}
