# bench/lib/measure.sh: small helpers of the benchmarks that read a daemon while it works.
# Sourced by bench/scale.sh and bench/churn.sh.

# rss_kb PID: the process's resident memory, in kB.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# shellcheck source=bench/lib/stats.sh
source "$(dirname "${BASH_SOURCE[0]}")/stats.sh"

# memreport SOCKET: our daemon's CONTROL memreport (memory and GC pauses) over its socket.
memreport() {
    python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
p = b"memreport\0"
s.sendall(struct.pack("<IIII", 0, 1, 0, len(p)) + p)
head = b""
while len(head) < 16: head += s.recv(16 - len(head))
length = struct.unpack("<IIII", head)[3]
body = b""
while len(body) < length: body += s.recv(length - len(body))
print(body.rstrip(b"\0").decode())
PY
}

# start_daemon KIND REP: a fresh daemon of KIND (ours: the native host when built, ours-jit:
# the JIT host, or a reference daemon) for repetition REP; its name goes to NAME, its socket
# and pid to SOCK[$NAME] and PID[$NAME] (bench/lib/daemons.sh).
start_daemon() {
    case $1 in
        ours) NAME=ours$2; start_ours "$NAME" ;;
        ours-jit) NAME=oursjit$2; start_ours_jit "$NAME" ;;
        *) NAME=$1; start_ref "$1" ;;
    esac
}

# stop_daemon KIND: stops the daemon of KIND that start_daemon started last.
stop_daemon() {
    if [[ $1 == ours* ]]; then
        kill -TERM "${OURS_LAUNCHERS[-1]}"
        wait "${OURS_LAUNCHERS[-1]}" 2>/dev/null || true
    else
        bash "$ANCHOR/stop-anchor.sh" "$WORK/$1" >/dev/null 2>&1
        rm -rf "${WORK:?}/$1"
    fi
}

# Tables of medians over the repetitions: each measure's values per daemon are gathered in
# R[KEY,DAEMON] (space-separated), one column per daemon of DAEMONS.
declare -A R
table_header() {
    echo "| $1 (median of $REPS) |$(printf ' %s |' "${DAEMONS[@]}")"
    echo "|---|$(printf -- '---:|%.0s' "${DAEMONS[@]}")"
}

# table_row LABEL KEY [ms]: one row of medians (microseconds shown as milliseconds with ms).
table_row() {
    local label=$1 key=$2 unit=${3:-} d v line
    line="| $label |"
    for d in "${DAEMONS[@]}"; do
        v=$(median ${R[$key,$d]})
        [[ $unit == ms ]] && v=$(awk -v u="$v" 'BEGIN { printf "%.1f", u / 1000 }')
        line+=" $v |"
    done
    echo "$line"
}
