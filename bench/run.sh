#!/usr/bin/env bash
# bench/run.sh: our daemon beside cxenstored and oxenstored, measured in one run, interleaved.
#
#   1. daemon CPU time per request with 64 READs pipelined on one connection
#      (from /proc/PID/task/*/schedstat: on-CPU time, unaffected by wake-up latency)
#   2. throughput with 8 and with 100 connections doing READ round trips
#   3. new-node writes per second (pipelined, 64 in flight) on an empty store, then into a
#      directory already holding 200,000 nodes
#
# Prints a Markdown report (machine, date, medians of REPS interleaved runs) on stdout.
# Knobs: REPS (5), SECONDS_PER_RUN (2), FILL (200000), XENSTOREPS_SHARED (../shared beside the checkout).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${XENSTOREPS_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
REPS=${REPS:-5}
SECS=${SECONDS_PER_RUN:-2}
FILL=${FILL:-200000}
WORK=$(mktemp -d /tmp/xsps-bench-XXXXXX)
LOAD=$WORK/xsload
log() { echo "bench: $*" >&2; }

gcc -O2 -Wall -o "$LOAD" "$HERE/xsload.c"
dotnet build "$ROOT/src/Daemon" -c Release --nologo -v quiet >&2

declare -A SOCK PID
start_ours() {
    mkdir -p "$WORK/ours"
    dotnet "$ROOT/src/Daemon/bin/Release/net8.0/xenstored-ps.dll" --rundir "$WORK/ours" --bare > "$WORK/ours.out" 2>&1 &
    PID[ours]=$!
    for _ in $(seq 100); do grep -q serving "$WORK/ours.out" 2>/dev/null && break; sleep 0.1; done
    SOCK[ours]=$WORK/ours/socket
}
start_ref() {
    PID[$1]=$(bash "$SHARED/anchor/start-anchor.sh" "$1" "$WORK/$1")
    SOCK[$1]=$WORK/$1/socket
}
cleanup() {
    kill "${PID[ours]:-0}" 2>/dev/null || true
    for k in cxenstored oxenstored; do bash "$SHARED/anchor/stop-anchor.sh" "$WORK/$k" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
start_ours; start_ref cxenstored; start_ref oxenstored
DAEMONS=(ours cxenstored oxenstored)

cpu_ns() { local s=0 t; for t in /proc/"$1"/task/*/schedstat; do s=$((s + $(cut -d' ' -f1 "$t" 2>/dev/null || echo 0))); done; echo "$s"; }
rate() { sed -E 's/.*rate=([0-9]+).*/\1/'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

declare -A CPU T8 T100
# Warm-up: our daemon reaches its steady state only once the JIT has optimised the hot path.
for d in "${DAEMONS[@]}"; do "$LOAD" pipeline "${SOCK[$d]}" 500000 64 >/dev/null; "$LOAD" clients "${SOCK[$d]}" 100 1 >/dev/null; done
for ((r = 1; r <= REPS; r++)); do
    for d in "${DAEMONS[@]}"; do
        n=50000
        c0=$(cpu_ns "${PID[$d]}"); "$LOAD" pipeline "${SOCK[$d]}" $n 64 >/dev/null; c1=$(cpu_ns "${PID[$d]}")
        CPU[$d]+="$(( (c1 - c0) / n )) "
        T8[$d]+="$("$LOAD" clients "${SOCK[$d]}" 8 "$SECS" | rate) "
        T100[$d]+="$("$LOAD" clients "${SOCK[$d]}" 100 "$SECS" | rate) "
        log "rep $r $d: cpu ${CPU[$d]##* } ..."
    done
done

declare -A WEMPTY WFULL
for d in "${DAEMONS[@]}"; do
    w=""
    for ((r = 1; r <= 3; r++)); do w+="$("$LOAD" writes "${SOCK[$d]}" $((r * 100000)) 20000 "/empty$r" | rate) "; done
    WEMPTY[$d]=$(median $w)
    log "$d: filling $FILL nodes"
    "$LOAD" fill "${SOCK[$d]}" 0 "$FILL" /fill >/dev/null
    w=""
    for ((r = 1; r <= 3; r++)); do w+="$("$LOAD" writes "${SOCK[$d]}" $((FILL + r * 10000)) 5000 /fill | rate) "; done
    WFULL[$d]=$(median $w)
done

cpu() { median ${CPU[$1]}; }
t8() { median ${T8[$1]}; }
t100() { median ${T100[$1]}; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cat <<EOF2
## Run of $(date -u +%Y-%m-%d) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB

Command: \`bench/run.sh\` (REPS=$REPS interleaved repetitions, medians; ${SECS} s per throughput run; $FILL nodes).

| measure | ours | cxenstored | oxenstored |
|---|---:|---:|---:|
| daemon CPU per request, 64 pipelined (ns) | $(cpu ours) | $(cpu cxenstored) | $(cpu oxenstored) |
| throughput, 8 connections (req/s) | $(t8 ours) | $(t8 cxenstored) | $(t8 oxenstored) |
| throughput, 100 connections (req/s) | $(t100 ours) | $(t100 cxenstored) | $(t100 oxenstored) |
| new-node writes, empty store (writes/s) | ${WEMPTY[ours]} | ${WEMPTY[cxenstored]} | ${WEMPTY[oxenstored]} |
| new-node writes, directory of $FILL (writes/s) | ${WFULL[ours]} | ${WFULL[cxenstored]} | ${WFULL[oxenstored]} |

Targets:

| target | value | met |
|---|---:|:-:|
| our CPU per request ≤ 1/3 of cxenstored's | $(ratio "$(cpu ours)" "$(cpu cxenstored)") of it | $(awk -v a="$(cpu ours)" -v b="$(cpu cxenstored)" 'BEGIN{print (a*3 <= b) ? "yes" : "no"}') |
| our throughput with 100 connections ≥ 1.5× cxenstored's | $(ratio "$(t100 ours)" "$(t100 cxenstored)")× | $(awk -v a="$(t100 ours)" -v b="$(t100 cxenstored)" 'BEGIN{print (a >= 1.5*b) ? "yes" : "no"}') |
| our write rate with $FILL nodes ≥ 0.8× our empty-store rate | $(ratio "${WFULL[ours]}" "${WEMPTY[ours]}")× | $(awk -v a="${WFULL[ours]}" -v b="${WEMPTY[ours]}" 'BEGIN{print (a >= 0.8*b) ? "yes" : "no"}') |

Raw runs (ns/request; req/s with 8 and 100 connections):

$(for d in "${DAEMONS[@]}"; do echo "- $d: cpu [${CPU[$d]% }], 8 conns [${T8[$d]% }], 100 conns [${T100[$d]% }]"; done)
EOF2
