#!/usr/bin/env bash
# bench/boot-storm.sh: the boot storm (bench/BootStorm) on our daemon, cxenstored and
# oxenstored in ONE run, interleaved repetition by repetition (the order of the targets
# rotates every repetition), medians over REPS repetitions.
#
# Per domain, a toolstack connection does what `xl create` does to xenstored (libxl's
# transactions for the domain, the build and each of three devices, INTRODUCE, the wait for
# each backend's InitWait and the hotplug report), dom0's backend driver (one connection,
# one watch on the backend tree) brings each backend to InitWait and, once the frontend is
# Initialised, to Connected, and the guest's frontend (its own connection) answers. The clock
# stops when every device of every domain is Connected at both ends.
#
# Targets: ours, cxenstored and oxenstored with the guests on socket connections (the
# reference daemons cannot serve a guest's ring here, and every socket connection is dom0),
# and ours-ring: our daemon with the simulated hypervisor, each guest on its own ring as
# domain D, with a guest's permissions and quotas.
#
# Writes the raw rows to CSV (default bench/boot-storm.csv) and prints a Markdown table of
# medians on stdout, progress on stderr.
#
# Knobs (environment): XENSTOREPS_SHARED (default: ../shared beside the checkout), DOMAINS
# (100,500), REPS (3), WARMUP (20 domains booted once per target before the timed storms),
# TIMEOUT (600 s: a storm not finished by then is recorded as such, and its target sits out
# the rest of the run), TARGETS (ours,ours-ring,cxenstored,oxenstored), CSV
# (bench/boot-storm.csv), TMPDIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${XENSTOREPS_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
ANCHOR=$SHARED/anchor
DOMAINS=${DOMAINS:-100,500}
REPS=${REPS:-3}
WARMUP=${WARMUP:-20}
TIMEOUT=${TIMEOUT:-600}
TARGETS=${TARGETS:-ours,ours-ring,cxenstored,oxenstored}
CSV=${CSV:-$HERE/boot-storm.csv}
T_START=$(date +%s)
log() { echo "boot-storm [$(( $(date +%s) - T_START ))s]: $*" >&2; }

[[ -x $ANCHOR/start-anchor.sh ]] || { echo "no anchor scripts at $ANCHOR (set XENSTOREPS_SHARED)" >&2; exit 2; }
WORK=$(mktemp -d -t xsbs.XXXXXX)
# shellcheck source=lib/daemons.sh
source "$HERE/lib/daemons.sh"
cleanup() {
    cleanup_daemons
    rm -rf "$WORK"
}
trap cleanup EXIT

log "building (Release)"
dotnet build "$ROOT/src/Daemon" -c Release --nologo -v quiet >&2
dotnet build "$HERE/BootStorm" -c Release --nologo -v quiet >&2

# The toolstack gives each new domain its nodes (SET_PERMS with the domain as owner) before
# it introduces it: on Xen the domain exists by then, so the anchor's stand-in hypervisor
# reports every domid as existing (cxenstored asks it; oxenstored does not check).
export ANCHOR_DOMAINS=all
ARGS=()
IFS=, read -ra WANT <<<"$TARGETS"
for t in "${WANT[@]}"; do
    case $t in
        ours) start_ours ours; ARGS+=(--target "ours=${SOCK[ours]},${PID[ours]}") ;;
        ours-ring)
            mkdir -p "$WORK/sim"
            start_ours ours-ring --sim-xen "$WORK/sim"
            ARGS+=(--target "ours-ring=${SOCK[ours-ring]},${PID[ours-ring]},$WORK/sim") ;;
        cxenstored|oxenstored) start_ref "$t"; ARGS+=(--target "$t=${SOCK[$t]},${PID[$t]}") ;;
        *) echo "unknown target $t" >&2; exit 2 ;;
    esac
    log "$t: pid ${PID[$t]}"
done

log "storms of $DOMAINS domains, $REPS repetitions, targets $TARGETS"
# The bench shares the two cores with the daemon under test; the .NET thread pool's workers
# spin between replies that come one at a time, which took a third of the bench's CPU
# against cxenstored and oxenstored (and none of it against ours). Without spinning they leave
# that CPU to the daemon.
DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 \
dotnet "$HERE/BootStorm/bin/Release/net8.0/BootStorm.dll" "${ARGS[@]}" \
    --domains "$DOMAINS" --reps "$REPS" --warmup "$WARMUP" --timeout "$TIMEOUT" >"$CSV"
log "raw rows in $CSV"

# ------------------------------------------------------------------ report
cat <<EOF2
### Run of $(date -u '+%Y-%m-%d %H:%M') UTC

Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r).
Command: \`DOMAINS=$DOMAINS REPS=$REPS WARMUP=$WARMUP TIMEOUT=$TIMEOUT TARGETS=$TARGETS bench/boot-storm.sh\` (took $(( $(date +%s) - T_START )) s).
Medians of the storms that finished, of $REPS interleaved repetitions; raw rows in \`bench/$(basename "$CSV")\`.

EOF2
bash "$HERE/boot-storm-report.sh" "$CSV"
