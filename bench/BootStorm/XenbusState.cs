/// <summary>The states of a split driver's two ends, as xenbus (xen/include/public/io/xenbus.h) numbers them.</summary>
internal static class XenbusState
{
    public const string Initialising = "1";
    public const string InitWait = "2";
    public const string Initialised = "3";
    public const string Connected = "4";
}
