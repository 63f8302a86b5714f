using XenStore.Protocol;

namespace XenStore.Daemon;

/// <summary>
/// A request that hit a bug in the daemon: it was answered EINVAL and cost nothing else.
/// Raised (under the daemon lock, so handlers must not block) for hosts that log it and for
/// fuzzers, whose oracle must not depend on the wording of a log line.
/// </summary>
public sealed record InternalError(DaemonConnection Connection, Message Request, Exception Exception);
