#!/usr/bin/env bash
# bench/run-client.sh: the client library and the PowerShell provider, against our daemon and
# cxenstored in one run: round trips and pipelined reads on one connection, and a recursive
# listing of a 10,000-node tree (XenStoreClient.ListRecursiveAsync, and the engine's
# Get-ChildItem -Recurse path) beside `xenstore-ls -f` on the same daemon and tree.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${XENSTOREPS_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
WORK=$(mktemp -d /tmp/xsps-cbench-XXXXXX)
dotnet build "$ROOT/XenStorePS.sln" -c Release --nologo -v quiet >&2
mkdir -p "$WORK/ours"
dotnet "$ROOT/src/Daemon/bin/Release/net8.0/xenstored-ps.dll" --rundir "$WORK/ours" --bare > "$WORK/ours.out" 2>&1 &
OURS=$!
for _ in $(seq 100); do grep -q serving "$WORK/ours.out" 2>/dev/null && break; sleep 0.1; done
bash "$SHARED/anchor/start-anchor.sh" cxenstored "$WORK/c" >/dev/null
trap 'kill $OURS 2>/dev/null; bash "$SHARED/anchor/stop-anchor.sh" "$WORK/c" >/dev/null 2>&1; rm -rf "$WORK"' EXIT

declare -A R
for d in ours c; do
    sock=$WORK/$d/socket
    R[$d]=$(dotnet "$ROOT/bench/ClientBench/bin/Release/net8.0/ClientBench.dll" "$sock" 10000;
            dotnet "$ROOT/bench/ModuleBench/bin/Release/net10.0/ModuleBench.dll" "$ROOT/XenStore.psd1" "$sock" 10000)
done
RING=$(for _ in 1 2 3; do dotnet "$ROOT/bench/ClientBench/bin/Release/net8.0/ClientBench.dll" --ring; done)
ringmed() { grep "^$1 " <<<"$RING" | cut -d' ' -f2 | sort -n | sed -n 2p; }
get() { grep "^$2 " <<<"${R[$1]}" | cut -d' ' -f2; }
cat <<EOF2
## Client and provider, run of $(date -u +%Y-%m-%d) on $(nproc) cores

Command: \`bench/run-client.sh\` (medians of five listings each).

| measure | on our daemon | on cxenstored |
|---|---:|---:|
| client round trips per second, one connection | $(get ours round-trips/s) | $(get c round-trips/s) |
| client pipelined reads per second, 256 in flight | $(get ours pipelined-reads/s) | $(get c pipelined-reads/s) |
| recursive listing of $(get ours recursive-listing-nodes) nodes, XenStoreClient (ms) | $(get ours recursive-listing-ms) | $(get c recursive-listing-ms) |
| the same with \`xenstore-ls -f\` (ms) | $(get ours xenstore-ls-f-ms | head -1) | $(get c xenstore-ls-f-ms | head -1) |
| Get-ChildItem -Recurse path through the engine, $(get ours get-childitem-recurse-items) items (ms) | $(get ours get-childitem-recurse-ms) | $(get c get-childitem-recurse-ms) |
| the same tree with \`xenstore-ls -f\` (ms) | $(get ours xenstore-ls-f-ms | tail -1) | $(get c xenstore-ls-f-ms | tail -1) |

Rings of the simulated hypervisor (our daemon; each guest does sequential round trips; median of three runs):

| measure | req/s |
|---|---:|
| ring round trips, one guest | $(ringmed ring-round-trips/s-1-guest) |
| ring round trips, 16 guests together | $(ringmed ring-round-trips/s-16-guests) |
EOF2
