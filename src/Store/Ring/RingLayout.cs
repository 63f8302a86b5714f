namespace XenStore.Ring;

/// <summary>
/// struct xenstore_domain_interface (xen/include/public/io/xs_wire.h): one 4 KiB page with a
/// request ring (guest → daemon), a response ring (daemon → guest) and their indices.
/// </summary>
public static class RingLayout
{
    /// <summary>The shared page is one 4 KiB page.</summary>
    public const int PageSize = 4096;

    /// <summary>XENSTORE_RING_SIZE: bytes in each ring; indices run free and wrap modulo 2^32.</summary>
    public const int RingSize = 1024;

    /// <summary>Offset of the request ring (guest → daemon).</summary>
    public const int RequestRing = 0;
    /// <summary>Offset of the response ring (daemon → guest).</summary>
    public const int ResponseRing = 1024;
    /// <summary>Offset of req_cons: how far the daemon has read the request ring.</summary>
    public const int RequestConsumer = 2048;
    /// <summary>Offset of req_prod: how far the guest has written the request ring.</summary>
    public const int RequestProducer = 2052;
    /// <summary>Offset of rsp_cons: how far the guest has read the response ring.</summary>
    public const int ResponseConsumer = 2056;
    /// <summary>Offset of rsp_prod: how far the daemon has written the response ring.</summary>
    public const int ResponseProducer = 2060;
    /// <summary>Offset of server_features: the Feature* bits the daemon offers.</summary>
    public const int ServerFeatures = 2064;
    /// <summary>Offset of connection: <see cref="Connected"/> or <see cref="Reconnect"/>.</summary>
    public const int Connection = 2068;
    /// <summary>Offset of error: a <see cref="RingError"/> the daemon sets before giving up on the ring.</summary>
    public const int Error = 2072;
    /// <summary>Offset of evtchn_port: the ring's event channel port, as the page records it.</summary>
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
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The event channel does not work.</summary>
    Communication = 1,
    /// <summary>Impossible producer/consumer indices.</summary>
    RingIndex = 2,
    /// <summary>A message longer than the protocol allows.</summary>
    Protocol = 3,
}
