using XenStore.Tree;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// A whole store built by recovery (from a snapshot, then with the journal replayed on it):
/// its root, what each owner holds (nodes and the bytes <see cref="MemoryCharge.Node(int, Node)"/>
/// charges for them), and how many generations its nodes were stamped with (1 to
/// <see cref="Generations"/>), so later changes stamp above them.
/// </summary>
internal sealed record LoadedTree(Node Root, IReadOnlyDictionary<uint, (int Nodes, long Bytes)> Holdings, ulong Generations);
