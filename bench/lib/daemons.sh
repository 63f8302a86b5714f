# bench/lib/daemons.sh: start and stop the daemons a benchmark compares, each in its own run
# directory under $WORK. Sourced by bench/run.sh and bench/boot-storm.sh, which set, before
# sourcing: ROOT (the checkout), ANCHOR (the shared anchor scripts) and WORK (a scratch
# directory, short enough for socket paths under 108 bytes). Defines SOCK[name], PID[name]
# (the daemon process whose CPU is measured) and cleanup_daemons, which stops every daemon
# started here.

declare -A SOCK PID
OURS_LAUNCHERS=()
REF_RUNDIRS=()

# Our daemon's host: the native one (./build.sh native) when it has been built, else the JIT
# host from the Release build (OURS_HOST=jit insists on the latter). start_ours_jit always
# starts the JIT host, for runs that compare the two.
NATIVE_HOST=$ROOT/artifacts/native/xenstored-ps
JIT_HOST=(dotnet "$ROOT/src/Daemon/bin/Release/net8.0/xenstored-ps.dll")
if [[ ${OURS_HOST:-} != jit && -x $NATIVE_HOST ]]; then
    OURS=("$NATIVE_HOST")
    echo "ours: the native host, $NATIVE_HOST" >&2
else
    OURS=("${JIT_HOST[@]}")
    echo "ours: the JIT host, dotnet xenstored-ps.dll (./build.sh native builds the native one)" >&2
fi

# start_ours NAME [DAEMON ARGS...]: our daemon, --bare (cxenstored's starting tree) plus any
# extra arguments, e.g. --sim-xen DIR.
start_ours() { start_host OURS "$@"; }
start_ours_jit() { start_host JIT_HOST "$@"; }

start_host() {
    local -n host=$1
    local name=$2 dir=$WORK/$2
    shift 2
    mkdir -p "$dir"
    "${host[@]}" --rundir "$dir" --bare "$@" >"$WORK/$name.out" 2>&1 &
    OURS_LAUNCHERS+=($!)
    for _ in $(seq 200); do grep -q "serving" "$WORK/$name.out" 2>/dev/null && break; sleep 0.05; done
    grep -q "serving" "$WORK/$name.out" || { cat "$WORK/$name.out" >&2; exit 1; }
    PID[$name]=$(tr -dc 0-9 <"$dir/xenstored.pid")
    SOCK[$name]=$dir/socket
}

# start_ref KIND: cxenstored or oxenstored through the anchor scripts (the anchor's
# ANCHOR_DOMAINS and other knobs pass through the environment).
start_ref() {
    PID[$1]=$(bash "$ANCHOR/start-anchor.sh" "$1" "$WORK/$1")
    SOCK[$1]=$WORK/$1/socket
    REF_RUNDIRS+=("$WORK/$1")
}

cleanup_daemons() {
    local p d
    for p in "${OURS_LAUNCHERS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    for d in "${REF_RUNDIRS[@]}"; do
        bash "$ANCHOR/stop-anchor.sh" "$d" >/dev/null 2>&1 || true
    done
}
