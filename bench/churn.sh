#!/usr/bin/env bash
# bench/churn.sh: a large directory that keeps changing, as a busy host's stores do once they
# are full. Per daemon and repetition: CHILDREN nodes /churn/n<i> are written (64 pipelined),
# then, while a probe READs / every millisecond on its own connection, CHURN_SECONDS of overwrites
# of random children with new values (`xsload churn`, 64 pipelined), then NEW new children
# /churn/x<i> at places all over the directory. Reported: the overwrite and new-node rates
# and the daemon's CPU per write, the probe's latency percentiles over both phases, and the
# RSS at the end per node. Repetitions interleave the daemons (a different one first each
# time); the table gives medians, bench/churn.csv keeps every run. Our daemon's CONTROL
# memreport (GC pauses per generation) is printed after each of its runs. "ours" is the
# native host (built here with ./build.sh native), "ours-jit" the JIT host.
#
#   CHILDREN=200000 CHURN_SECONDS=10 NEW=100000 REPS=3 CHURN_DAEMONS="ours ours-jit oxenstored" bench/churn.sh
#
# cxenstored rewrites a directory's whole child list for each new child: writing 200,000
# children takes it about 8 minutes (add it to CHURN_DAEMONS for one run if wanted).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
ANCHOR=${XENSTOREPS_SHARED:-$ROOT/../shared}/anchor
CHILDREN=${CHILDREN:-200000}
SECONDS_OF_CHURN=${CHURN_SECONDS:-10}
NEW=${NEW:-100000}
REPS=${REPS:-3}
read -r -a DAEMONS <<<"${CHURN_DAEMONS:-ours ours-jit oxenstored}"
log() { echo "churn: $*" >&2; }

[[ -x $ANCHOR/start-anchor.sh ]] || { echo "no anchor scripts at $ANCHOR (set XENSTOREPS_SHARED)" >&2; exit 2; }
WORK=$(mktemp -d -t xsc.XXXXXX)
"$ROOT/build.sh" native >/dev/null
# shellcheck source=bench/lib/daemons.sh
source "$HERE/lib/daemons.sh"
# shellcheck source=bench/lib/measure.sh
source "$HERE/lib/measure.sh"
trap 'cleanup_daemons; rm -rf "$WORK"' EXIT
LOAD=$WORK/xsload
gcc -O2 -Wall -o "$LOAD" "$HERE/xsload.c"
dotnet build "$ROOT/src/Daemon" -c Release --nologo -v quiet >&2

# One run on a fresh daemon; writes "overwrite_rate overwrite_cpu new_rate new_cpu p50 p99
# p999 max rss_b_per_node" to $WORK/result (not through a subshell, so that the daemons it
# starts are the ones the exit trap stops).
run_one() {
    local d=$1
    start_daemon "$d" "$2"
    local sock=${SOCK[$NAME]} pid=${PID[$NAME]}
    "$LOAD" writes "$sock" /churn n 0 "$CHILDREN" 64 >/dev/null
    "$LOAD" probe "$sock" / 1000 >"$WORK/probe.out" &
    local probe=$!
    local over new
    over=$("$LOAD" -p "$pid" churn "$sock" /churn n "$CHILDREN" "$SECONDS_OF_CHURN" 64)
    new=$("$LOAD" -p "$pid" writes "$sock" /churn x 0 "$NEW" 64)
    kill -TERM "$probe"
    wait "$probe" || true
    local rss
    rss=$(rss_kb "$pid")
    [[ $d == ours* ]] && memreport "$sock" | grep "^gc" | sed "s/^/  $d: /" >&2
    local p
    p=$(cat "$WORK/probe.out")
    echo "$(field rate <<<"$over") $(field cpu_per_op <<<"$over") $(field rate <<<"$new") $(field cpu_per_op <<<"$new") $(field p50_us <<<"$p") $(field p99_us <<<"$p") $(field p999_us <<<"$p") $(field max_us <<<"$p") $((rss * 1024 / (CHILDREN + NEW)))" >"$WORK/result"
    stop_daemon "$d"
}

CSV=${CSV:-$HERE/churn.csv}
echo "daemon,rep,children,churn_s,new,overwrite_rate,overwrite_cpu_ns,new_rate,new_cpu_ns,probe_p50_us,probe_p99_us,probe_p999_us,probe_max_us,rss_b_per_node" >"$CSV"
for ((r = 1; r <= REPS; r++)); do
    for ((i = 0; i < ${#DAEMONS[@]}; i++)); do
        d=${DAEMONS[$(((i + r - 1) % ${#DAEMONS[@]}))]}
        log "rep $r/$REPS: $d, $CHILDREN children, $SECONDS_OF_CHURN s of overwrites, $NEW new"
        run_one "$d" "$r"
        read -r orate ocpu nrate ncpu p50 p99 p999 max rss <"$WORK/result"
        log "  $d: overwrites ${orate}/s (${ocpu} ns), new ${nrate}/s (${ncpu} ns), probe p50 ${p50} p99 ${p99} p99.9 ${p999} max ${max} us, ${rss} B/node"
        echo "$d,$r,$CHILDREN,$SECONDS_OF_CHURN,$NEW,$orate,$ocpu,$nrate,$ncpu,$p50,$p99,$p999,$max,$rss" >>"$CSV"
        for k in orate ocpu nrate ncpu p50 p99 p999 max rss; do R[$k,$d]+="${!k} "; done
    done
done

table_header "$CHILDREN children, 64 pipelined"
table_row "overwrites of random children (writes/s)" orate
table_row "daemon CPU per overwrite (ns)" ocpu
table_row "new children (writes/s)" nrate
table_row "daemon CPU per new child (ns)" ncpu
table_row "probe READ p50 (ms)" p50 ms
table_row "probe READ p99 (ms)" p99 ms
table_row "probe READ p99.9 (ms)" p999 ms
table_row "probe READ max (ms)" max ms
table_row "RSS per node at the end (B)" rss
