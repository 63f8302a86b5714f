#!/usr/bin/env bash
# bench/run.sh: our daemon beside cxenstored and oxenstored (Xen 4.17, started by the shared
# anchor scripts), measured in ONE run, interleaved repetition by repetition (the order of the
# three daemons rotates every repetition), medians over REPS repetitions.
#
#   1. daemon CPU per request, 64 requests pipelined on one connection (READ, and WRITE
#      overwriting existing nodes); CPU from /proc/PID/task/*/schedstat around the timed part
#   2. throughput (requests/s summed over all clients) with 8 and with 100 connections, each
#      client a forked process doing sequential WRITE/READ round trips (alternating) on its
#      own node for DURATION seconds
#   3. the shared bench-anchor.sh figure (one client, sequential WRITE+READ round trips),
#      for context only: a single client's round-trip rate is bound by wake-ups
#   4. new-node writes per second by one client, sequential (1 in flight) and pipelined
#      (64 in flight): into an empty directory /fill of an otherwise bare store, then into
#      /fill holding FILL (200,000) nodes /fill/n<i> (cxenstored's worst case: it rewrites a
#      directory's whole child list for every new child)
#
# Prints a Markdown report on stdout, progress on stderr. Needs gcc, dotnet, and the shared
# anchor scripts (which install what the reference daemons need).
#
# Knobs (environment): XENSTOREPS_SHARED (default: ../shared beside the checkout), REPS (5),
# DURATION (3 s per throughput run), PIPE_N (50000 requests per pipelined CPU run),
# FILL (200000), WRITES_N (20000 new nodes per write-rate run), WRITE_MAX_S (2: a write-rate
# run stops early after this long), SEQ_N (10000 bench-anchor iterations), SEQ_REPS (3),
# TMPDIR (where the run directories go; socket paths must stay under 108 bytes).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${XENSTOREPS_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
ANCHOR=$SHARED/anchor
REPS=${REPS:-5}
DURATION=${DURATION:-3}
PIPE_N=${PIPE_N:-50000}
FILL=${FILL:-200000}
WRITES_N=${WRITES_N:-20000}
WRITE_MAX_S=${WRITE_MAX_S:-2}
SEQ_N=${SEQ_N:-10000}
SEQ_REPS=${SEQ_REPS:-3}
T_START=$(date +%s)
log() { echo "bench [$(( $(date +%s) - T_START ))s]: $*" >&2; }

[[ -x $ANCHOR/start-anchor.sh ]] || { echo "no anchor scripts at $ANCHOR (set XENSTOREPS_SHARED)" >&2; exit 2; }
WORK=$(mktemp -d -t xsb.XXXXXX)
LOAD=$WORK/xsload
gcc -O2 -Wall -o "$LOAD" "$HERE/xsload.c"
log "building the daemon (Release)"
dotnet build "$ROOT/src/Daemon" -c Release --nologo -v quiet >&2

# shellcheck source=lib/daemons.sh
source "$HERE/lib/daemons.sh"
# shellcheck source=lib/stats.sh
source "$HERE/lib/stats.sh"
cleanup() {
    cleanup_daemons
    rm -rf "$WORK"
}
trap cleanup EXIT
start_ours ours; start_ref cxenstored; start_ref oxenstored
DAEMONS=(ours cxenstored oxenstored)
log "pids: ours ${PID[ours]}, cxenstored ${PID[cxenstored]}, oxenstored ${PID[oxenstored]}"

# The daemons in a different order each repetition, so none is always first after a pause.
order() { local r=$1 i; for i in 0 1 2; do echo "${DAEMONS[$(( (i + r) % 3 ))]}"; done; }
xs() { local d=$1; shift; "$LOAD" -p "${PID[$d]}" "$1" "${SOCK[$d]}" "${@:2}"; }

declare -A R   # R[measure,daemon] = space-separated raw values, one per repetition
add() { R[$1,$2]+="$3 "; }
addw() {  # addw MEASURE DAEMON XSLOAD_OUTPUT: rate, CPU per op, and ops/seconds for pooled rates
    add "$1" "$2" "$(field rate <<<"$3")"; add "$1cpu" "$2" "$(field cpu_per_op <<<"$3")"
    add "$1ops" "$2" "$(field ops <<<"$3")"; add "$1secs" "$2" "$(field seconds <<<"$3")"
    add "$1cpuns" "$2" "$(field cpu_ns <<<"$3")"
}
# Pooled over all repetitions: total ops / total seconds (or total CPU / total ops). A GC pause
# of our daemon lands in some windows and not others; pooling charges it to every write.
pooled_rate() { awk -v o="${R[$1ops,$2]}" -v t="${R[$1secs,$2]}" 'BEGIN { n = split(o, a, " "); split(t, b, " "); for (i = 1; i <= n; i++) { so += a[i]; st += b[i] } printf "%.0f", so / st }'; }
pooled_cpu() { awk -v o="${R[$1ops,$2]}" -v c="${R[$1cpuns,$2]}" 'BEGIN { n = split(o, a, " "); split(c, b, " "); for (i = 1; i <= n; i++) { so += a[i]; sc += b[i] } printf "%.0f", sc / so }'; }
med() { median ${R[$1,$2]}; }

# ------------------------------------------------------------------ warm-up
# Our daemon reaches steady state once the JIT has tiered up the hot paths (reads, writes of
# existing and new nodes, many connections, removal); the same load is given to all three.
log "warm-up"
for d in "${DAEMONS[@]}"; do
    xs "$d" pipeline read 200000 64 >/dev/null
    xs "$d" pipeline write 200000 64 >/dev/null
    xs "$d" clients rw 100 1 >/dev/null
    for ((w = 0; w < 6; w++)); do
        xs "$d" writes /warm s 0 2000 1 >/dev/null
        xs "$d" writes /warm p 0 5000 64 >/dev/null
        "$LOAD" rm "${SOCK[$d]}" /warm
    done
done

# ------------------------------------------------------------------ 1 + 2
for ((r = 1; r <= REPS; r++)); do
    log "rep $r/$REPS: pipelined CPU and throughput"
    for d in $(order "$r"); do
        out=$(xs "$d" pipeline read "$PIPE_N" 64);  add cpu_read "$d" "$(field cpu_per_op <<<"$out")"
        out=$(xs "$d" pipeline write "$PIPE_N" 64); add cpu_write "$d" "$(field cpu_per_op <<<"$out")"
        for n in 8 100; do
            out=$(xs "$d" clients rw "$n" "$DURATION")
            add "tp$n" "$d" "$(field rate <<<"$out")"
            add "tpcpu$n" "$d" "$(field cpu_per_op <<<"$out")"
        done
    done
done

# ------------------------------------------------------------------ 3 (context)
for ((r = 1; r <= SEQ_REPS; r++)); do
    log "rep $r/$SEQ_REPS: bench-anchor.sh sequential round trips"
    for d in $(order "$r"); do
        out=$(bash "$ANCHOR/bench-anchor.sh" "${SOCK[$d]}" "${PID[$d]}" "$SEQ_N" 1 c | tail -1)
        add seq "$d" "$(sed -nE 's/.*: ([0-9]+) ops\/s.*/\1/p' <<<"$out")"
        add seqcpu "$d" "$(sed -nE 's/.*daemon cpu ([0-9]+) ns\/op.*/\1/p' <<<"$out")"
    done
done

# ------------------------------------------------------------------ 4
for d in "${DAEMONS[@]}"; do "$LOAD" rm "${SOCK[$d]}" /xsload; "$LOAD" rm "${SOCK[$d]}" /fill; done
for ((r = 1; r <= REPS; r++)); do
    log "rep $r/$REPS: new-node writes, empty store"
    for d in $(order "$r"); do
        addw wempty1 "$d" "$(xs "$d" writes /fill s$r- 0 "$WRITES_N" 1 "$WRITE_MAX_S")"
        "$LOAD" rm "${SOCK[$d]}" /fill
        addw wempty64 "$d" "$(xs "$d" writes /fill p$r- 0 "$WRITES_N" 64 "$WRITE_MAX_S")"
        "$LOAD" rm "${SOCK[$d]}" /fill
    done
done
declare -A FILLRATE FILLSECS
for d in "${DAEMONS[@]}"; do
    log "filling $d with $FILL nodes /fill/n<i> (64 pipelined)"
    out=$(xs "$d" writes /fill n 0 "$FILL" 64)
    FILLRATE[$d]=$(field rate <<<"$out"); FILLSECS[$d]=$(field seconds <<<"$out")
done
for ((r = 1; r <= REPS; r++)); do
    log "rep $r/$REPS: new-node writes, directory of $FILL"
    for d in $(order "$r"); do
        addw wfull1 "$d" "$(xs "$d" writes /fill s$r- 0 "$WRITES_N" 1 "$WRITE_MAX_S")"
        addw wfull64 "$d" "$(xs "$d" writes /fill p$r- 0 "$WRITES_N" 64 "$WRITE_MAX_S")"
    done
done
ELAPSED=$(( $(date +%s) - T_START ))
log "done in ${ELAPSED}s"

# ------------------------------------------------------------------ report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
yesno() { awk "BEGIN { print ($1) ? \"**yes**\" : \"**no**\" }"; }
row() {  # row LABEL MEASURE
    printf '| %s | %s | %s | %s |\n' "$1" "$(med "$2" ours)" "$(med "$2" cxenstored)" "$(med "$2" oxenstored)"
}
cpu_c=$(med cpu_read cxenstored); cpu_o=$(med cpu_read ours)
cpuw_c=$(med cpu_write cxenstored); cpuw_o=$(med cpu_write ours)
tp_c=$(med tp100 cxenstored); tp_o=$(med tp100 ours)
we1=$(pooled_rate wempty1 ours); wf1=$(pooled_rate wfull1 ours); we64=$(pooled_rate wempty64 ours); wf64=$(pooled_rate wfull64 ours)
mwe1=$(med wempty1 ours); mwf1=$(med wfull1 ours); mwe64=$(med wempty64 ours); mwf64=$(med wfull64 ours)
prow() {  # prow LABEL MEASURE rate|cpu: pooled over repetitions
    printf '| %s | %s | %s | %s |\n' "$1" "$(pooled_$3 "$2" ours)" "$(pooled_$3 "$2" cxenstored)" "$(pooled_$3 "$2" oxenstored)"
}

cat <<EOF
## Daemon run of $(date -u '+%Y-%m-%d %H:%M UTC')

Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr).
Command: \`REPS=$REPS DURATION=$DURATION PIPE_N=$PIPE_N FILL=$FILL WRITES_N=$WRITES_N WRITE_MAX_S=$WRITE_MAX_S SEQ_N=$SEQ_N SEQ_REPS=$SEQ_REPS bench/run.sh\` (took ${ELAPSED} s).
Medians of $REPS interleaved repetitions ($SEQ_REPS for the bench-anchor rows); "pooled" = total over the repetitions (total writes / total seconds, total CPU / total writes).

| measure | ours | cxenstored | oxenstored |
|---|---:|---:|---:|
$(row "daemon CPU per READ, 64 pipelined (ns)" cpu_read)
$(row "daemon CPU per WRITE, 64 pipelined (ns)" cpu_write)
$(row "throughput, 8 connections, WRITE/READ round trips (req/s)" tp8)
$(row "throughput, 100 connections, WRITE/READ round trips (req/s)" tp100)
$(row "daemon CPU per request at 8 connections (ns)" tpcpu8)
$(row "daemon CPU per request at 100 connections (ns)" tpcpu100)
$(row "new-node writes, empty store, sequential (writes/s, median)" wempty1)
$(row "new-node writes, empty store, 64 pipelined (writes/s, median)" wempty64)
$(row "new-node writes, directory of $FILL, sequential (writes/s, median)" wfull1)
$(row "new-node writes, directory of $FILL, 64 pipelined (writes/s, median)" wfull64)
$(prow "new-node writes, empty store, sequential (writes/s, pooled)" wempty1 rate)
$(prow "new-node writes, empty store, 64 pipelined (writes/s, pooled)" wempty64 rate)
$(prow "new-node writes, directory of $FILL, sequential (writes/s, pooled)" wfull1 rate)
$(prow "new-node writes, directory of $FILL, 64 pipelined (writes/s, pooled)" wfull64 rate)
$(prow "daemon CPU per new node, empty, sequential (ns, pooled)" wempty1 cpu)
$(prow "daemon CPU per new node, empty, 64 pipelined (ns, pooled)" wempty64 cpu)
$(prow "daemon CPU per new node, directory of $FILL, sequential (ns, pooled)" wfull1 cpu)
$(prow "daemon CPU per new node, directory of $FILL, 64 pipelined (ns, pooled)" wfull64 cpu)
| filling the directory: $FILL new nodes, 64 pipelined (writes/s; seconds) | ${FILLRATE[ours]}; ${FILLSECS[ours]} | ${FILLRATE[cxenstored]}; ${FILLSECS[cxenstored]} | ${FILLRATE[oxenstored]}; ${FILLSECS[oxenstored]} |
$(row "context: bench-anchor.sh, one client, sequential WRITE+READ (ops/s)" seq)
$(row "context: bench-anchor.sh daemon CPU per op (ns)" seqcpu)

| target | measured | met |
|---|---:|:-:|
| (a) our CPU per request, 64 pipelined, ≤ 1/3 of cxenstored's | READ $(ratio "$cpu_o" "$cpu_c"), WRITE $(ratio "$cpuw_o" "$cpuw_c") of cxenstored's | $(yesno "$cpu_o * 3 <= $cpu_c && $cpuw_o * 3 <= $cpuw_c") |
| (b) our throughput with 100 connections ≥ 1.5× cxenstored's | $(ratio "$tp_o" "$tp_c")× | $(yesno "$tp_o >= 1.5 * $tp_c") |
| (c) our new-node write rate with $FILL nodes ≥ 0.8× our empty-store rate, sequential (pooled; medians: $(ratio "$mwf1" "$mwe1")×) | $(ratio "$wf1" "$we1")× | $(yesno "$wf1 >= 0.8 * $we1") |
| (c) the same, 64 pipelined (pooled; medians: $(ratio "$mwf64" "$mwe64")×) | $(ratio "$wf64" "$we64")× | $(yesno "$wf64 >= 0.8 * $we64") |

Raw values per repetition (in run order):

$(for m in cpu_read cpu_write tp8 tp100 tpcpu8 tpcpu100 seq seqcpu wempty1 wempty64 wfull1 wfull64 wempty1cpu wempty64cpu wfull1cpu wfull64cpu; do
    echo "- $m: ours [${R[$m,ours]% }], cxenstored [${R[$m,cxenstored]% }], oxenstored [${R[$m,oxenstored]% }]"
done)
EOF
