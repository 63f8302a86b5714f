#!/usr/bin/env bash
# bench/restart.sh: how long the standalone daemon takes, with --persist, from its process
# start to the first READ answered over its socket, holding DOMAINS x NODES nodes.
#
#   1. fill: two daemons with --persist are each given DOMAINS x NODES nodes (xsload ownedfill: each
#      domain's directory owned by that domain, 16-byte values); one is stopped with SIGTERM,
#      as a host shutdown would stop it ("clean"), the other killed with SIGKILL, which leaves
#      the journal written since the last snapshot to replay ("killed"). The files left are listed.
#   2. REPS restarts from each: the time from launching the daemon to the answer to a READ of
#      the last node filled (xsload firstread polls the socket every millisecond), with the
#      daemon's recovery report (which times its phases) from the first restart.
#   3. for reference, REPS starts of a daemon without --persist (runtime start-up and JIT alone).
#
# Every restart is stopped as its store was (SIGTERM, SIGKILL) and changes nothing, so
# every repetition reads the same files. Prints a Markdown fragment on stdout, progress on stderr.
#
# Knobs (environment): DOMAINS (1000), NODES (1000), REPS (5), STORE (a directory holding
# filled stores to reuse, e.g. one kept by an earlier run with KEEP=1; filled if empty),
# KEEP (1: keep the work directory), DAEMON (an xenstored-ps.dll to measure instead of this
# checkout's JIT host, e.g. an older build for a before/after, or the native host
# artifacts/native/xenstored-ps), DAEMON_ARGS (extra daemon arguments,
# e.g. "--snapshot-after 1048576"), TMPDIR (socket paths must stay under 108 bytes).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/stats.sh
source "$HERE/lib/stats.sh"
ROOT=$(cd "$HERE/.." && pwd)
DOMAINS=${DOMAINS:-1000}
NODES=${NODES:-1000}
REPS=${REPS:-5}
KEEP=${KEEP:-0}
DAEMON_ARGS=${DAEMON_ARGS:-}
T_START=$(date +%s)
log() { echo "restart [$(( $(date +%s) - T_START ))s]: $*" >&2; }

WORK=$(mktemp -d -t xsr.XXXXXX)
STORE=${STORE:-$WORK/store}
mkdir -p "$STORE"
LOAD=$WORK/xsload
gcc -O2 -Wall -o "$LOAD" "$HERE/xsload.c"
if [[ -z ${DAEMON:-} ]]; then
    log "building the daemon (Release)"
    dotnet build "$ROOT/src/Daemon" -c Release --nologo -v quiet >&2
    DAEMON=$ROOT/src/Daemon/bin/Release/net8.0/xenstored-ps.dll
fi

LAUNCHER=
stop_daemon() {  # stop_daemon [SIGNAL]
    [[ -n $LAUNCHER ]] || return 0
    kill "-${1:-TERM}" "$LAUNCHER" 2>/dev/null || true
    wait "$LAUNCHER" 2>/dev/null || true
    LAUNCHER=
}
cleanup() {
    stop_daemon
    if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start_daemon OUT [ARGS...]: launches the daemon on WORK/run; returns at once.
start_daemon() {
    local out=$1; shift
    rm -rf "$WORK/run"; mkdir -p "$WORK/run"
    # The JIT host is an assembly run by dotnet; the native host (./build.sh native) runs itself.
    local host=("$DAEMON")
    [[ $DAEMON == *.dll ]] && host=(dotnet "$DAEMON")
    # shellcheck disable=SC2086
    "${host[@]}" --rundir "$WORK/run" --bare "$@" $DAEMON_ARGS >"$out" 2>&1 &
    LAUNCHER=$!
}
now_ns() { date +%s%N; }
LAST=/local/domain/$DOMAINS/n$((NODES - 1))

# fill NAME SIGNAL: a store STORE/NAME/xs of DOMAINS x NODES nodes, left as SIGNAL leaves it.
fill() {
    local dir=$STORE/$1
    if compgen -G "$dir/xs.*" >/dev/null; then return; fi
    mkdir -p "$dir"
    log "filling $DOMAINS x $NODES nodes ($1)"
    start_daemon "$WORK/fill-$1.out" --persist "$dir/xs"
    local t0
    t0=$(now_ns)
    "$LOAD" firstread "$WORK/run/socket" / 60 >/dev/null
    "$LOAD" ownedfill "$WORK/run/socket" "$DOMAINS" "$NODES"
    log "filled in $(( ($(now_ns) - t0) / 1000000 )) ms"
    stop_daemon "$2"
}
files() { (cd "$STORE/$1" && ls -l --time-style=+ xs.* | awk '{printf "%s %s B; ", $NF, $5}'); }
fill clean TERM
fill killed KILL
log "files: clean: $(files clean) killed: $(files killed)"

# measure OUT PATH SIGNAL ARGS...: one start, in ms from launch to the answered READ of PATH,
# then "/" and the daemon's CPU time (user + system, all threads) until then, in ms: on a
# shared machine the wall time also counts the waits for a core, the CPU time does not.
measure() {
    local out=$1 path=$2 signal=$3; shift 3
    local t0 t1 cpu
    t0=$(now_ns)
    start_daemon "$out" "$@"
    "$LOAD" firstread "$WORK/run/socket" "$path" 120 >/dev/null
    t1=$(now_ns)
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$LAUNCHER/stat")
    stop_daemon "$signal"
    echo "$(( (t1 - t0) / 1000000 ))/$cpu"
}
wall() { local v; for v in "$@"; do echo "${v%/*}"; done; }
cpu() { local v; for v in "$@"; do echo "${v#*/}"; done; }

declare -a CLEAN KILLED COLD
for ((r = 1; r <= REPS; r++)); do
    CLEAN+=("$(measure "$WORK/clean$r.out" "$LAST" TERM --persist "$STORE/clean/xs")")
    KILLED+=("$(measure "$WORK/killed$r.out" "$LAST" KILL --persist "$STORE/killed/xs")")
    COLD+=("$(measure "$WORK/cold$r.out" / TERM)")
    log "rep $r/$REPS (ms wall/CPU): restart after a clean stop ${CLEAN[-1]}, after SIGKILL ${KILLED[-1]}, start without --persist ${COLD[-1]}"
done

cat <<EOF
## Restart, run of $(date -u +%Y-%m-%d) on $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg))

$DOMAINS domains x $NODES nodes. Files after a clean stop: $(files clean)after SIGKILL: $(files killed)

| start | median of $REPS (ms) | median CPU time (ms) | runs (ms wall/CPU) |
|---|---:|---:|---|
| --persist, stopped cleanly before: to the first READ of $LAST | $(median $(wall "${CLEAN[@]}")) | $(median $(cpu "${CLEAN[@]}")) | ${CLEAN[*]} |
| --persist, killed (SIGKILL) before: to the first READ of $LAST | $(median $(wall "${KILLED[@]}")) | $(median $(cpu "${KILLED[@]}")) | ${KILLED[*]} |
| without --persist (runtime and JIT alone), to the first READ of / | $(median $(wall "${COLD[@]}")) | $(median $(cpu "${COLD[@]}")) | ${COLD[*]} |

Recovery reports of the first restarts (clean, then killed):

\`\`\`
$(grep recovery "$WORK/clean1.out" || true)
$(grep recovery "$WORK/killed1.out" || true)
\`\`\`
EOF
