namespace XenStore.Tests.Security;

/// <summary>
/// Tests that measure what a request costs the daemon (its CPU time, dom0's latency) run
/// alone. In one process, the collections other tests' allocations call for run on whichever
/// thread allocates when the young generation fills, over every test's live objects: a
/// 990-level commit that cost 3.5–4.5 ms of CPU alone cost 5.4 ms beside the rest of the suite.
/// </summary>
[CollectionDefinition(nameof(MeasuredAloneCollection), DisableParallelization = true)]
public sealed class MeasuredAloneCollection;
