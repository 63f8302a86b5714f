using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// A transaction refused to touch one more node: it has reached its transaction-nodes limit
/// (ENOSPC, as cxenstored's access_node) or its domain's memory quota (ENOMEM). The
/// transaction is failed already; the request answers <see cref="Code"/>. Thrown from deep
/// inside a lookup so that no handler can go on with a node it was not given.
/// </summary>
internal sealed class TransactionLimitException(XenStoreErrorCode code)
    : Exception($"the transaction may touch no more nodes ({code})")
{
    public XenStoreErrorCode Code { get; } = code;
}
