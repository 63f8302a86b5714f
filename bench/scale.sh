#!/usr/bin/env bash
# bench/scale.sh: a busy host's store. DOMAINS x NODES nodes (default 1,000 x 1,000: one
# million) /local/domain/<d>/data/k<i> written 64 pipelined into a fresh daemon while a probe
# READs / every millisecond on its own connection. Per daemon and repetition: fill time,
# daemon CPU per node, the probe's latency percentiles over the fill, and RSS per node two
# seconds after it. Repetitions interleave the daemons (a different one first each time);
# the table gives medians, bench/scale.csv keeps every run. Our daemon's CONTROL memreport
# (GC pauses per generation) is printed after each of its runs. Ours is the native host, built
# here with ./build.sh native (OURS_HOST=jit measures the JIT host instead); "ours-jit" in
# SCALE_DAEMONS adds the JIT host beside it. Also kept: each daemon's RSS just after it starts
# (the runtime's own share) and the probe's first READ (a cold daemon's first request).
#
#   DOMAINS=1000 NODES=1000 REPS=3 SCALE_DAEMONS="ours oxenstored cxenstored" bench/scale.sh
#
# The raw rows go to CSV (default bench/scale.csv, replaced by each run).
#
# cxenstored rewrites a directory's whole child list for each new child: at 1,000 children
# per directory one fill takes it about 18 minutes (leave it out with SCALE_DAEMONS).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
ANCHOR=${XENSTOREPS_SHARED:-$ROOT/../shared}/anchor
DOMAINS=${DOMAINS:-1000}
NODES=${NODES:-1000}
REPS=${REPS:-3}
read -r -a DAEMONS <<<"${SCALE_DAEMONS:-ours oxenstored cxenstored}"
TOTAL=$((DOMAINS * NODES))
log() { echo "scale: $*" >&2; }

[[ -x $ANCHOR/start-anchor.sh ]] || { echo "no anchor scripts at $ANCHOR (set XENSTOREPS_SHARED)" >&2; exit 2; }
WORK=$(mktemp -d -t xss.XXXXXX)
# Before sourcing daemons.sh, which picks the native host when it is there.
if [[ ${OURS_HOST:-} != jit ]]; then "$ROOT/build.sh" native >/dev/null; fi
# shellcheck source=bench/lib/daemons.sh
source "$HERE/lib/daemons.sh"
trap 'cleanup_daemons; rm -rf "$WORK"' EXIT
LOAD=$WORK/xsload
gcc -O2 -Wall -o "$LOAD" "$HERE/xsload.c"
dotnet build "$ROOT/src/Daemon" -c Release --nologo -v quiet >&2

# shellcheck source=bench/lib/measure.sh
source "$HERE/lib/measure.sh"

# One fill of a fresh daemon; writes "fill_s cpu_ns_per_node p50 p99 p999 max rss_b_per_node
# first_us idle_rss_kb" to $WORK/result (not through a subshell, so that the daemons it starts are the ones the exit
# trap stops).
run_one() {
    local d=$1
    start_daemon "$d" "$2"
    local sock=${SOCK[$NAME]} pid=${PID[$NAME]} idle
    idle=$(rss_kb "$pid")
    "$LOAD" probe "$sock" / 1000 >"$WORK/probe.out" &
    local probe=$!
    local out
    out=$("$LOAD" -p "$pid" fill "$sock" "$DOMAINS" "$NODES" 64)
    kill -TERM "$probe"
    wait "$probe" || true
    sleep 2
    local rss
    rss=$(rss_kb "$pid")
    [[ $d == ours* ]] && memreport "$sock" | sed "s/^/  $d: /" >&2
    local p
    p=$(cat "$WORK/probe.out")
    echo "$(field seconds <<<"$out") $(field cpu_per_op <<<"$out") $(field p50_us <<<"$p") $(field p99_us <<<"$p") $(field p999_us <<<"$p") $(field max_us <<<"$p") $((rss * 1024 / TOTAL)) $(field first_us <<<"$p") $idle" >"$WORK/result"
    stop_daemon "$d"
}

CSV=${CSV:-$HERE/scale.csv}
echo "daemon,rep,domains,nodes,fill_s,cpu_ns_per_node,probe_p50_us,probe_p99_us,probe_p999_us,probe_max_us,rss_b_per_node,probe_first_us,idle_rss_kb" >"$CSV"
for ((r = 1; r <= REPS; r++)); do
    for ((i = 0; i < ${#DAEMONS[@]}; i++)); do
        d=${DAEMONS[$(((i + r - 1) % ${#DAEMONS[@]}))]}
        log "rep $r/$REPS: $d, $DOMAINS x $NODES nodes"
        run_one "$d" "$r"
        read -r fill cpu p50 p99 p999 max rss first idle <"$WORK/result"
        log "  $d: fill ${fill}s, ${cpu} ns/node, probe p50 ${p50} p99 ${p99} p99.9 ${p999} max ${max} first ${first} us, ${rss} B/node, idle ${idle} kB"
        echo "$d,$r,$DOMAINS,$NODES,$fill,$cpu,$p50,$p99,$p999,$max,$rss,$first,$idle" >>"$CSV"
        for k in fill cpu p50 p99 p999 max rss first idle; do R[$k,$d]+="${!k} "; done
    done
done

table_header "$DOMAINS x $NODES nodes, 64 pipelined"
table_row "fill time (s)" fill
table_row "daemon CPU per node (ns)" cpu
table_row "RSS per node (B)" rss
table_row "probe READ p50 (ms)" p50 ms
table_row "probe READ p99 (ms)" p99 ms
table_row "probe READ p99.9 (ms)" p999 ms
table_row "probe READ max (ms)" max ms
table_row "probe's first READ (ms)" first ms
table_row "RSS just after start (kB)" idle
