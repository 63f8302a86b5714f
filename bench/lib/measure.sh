# bench/lib/measure.sh: small helpers of the benchmarks that read a daemon while it works.
# Sourced by bench/scale.sh and bench/churn.sh.

# rss_kb PID: the process's resident memory, in kB.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# field NAME: the value of NAME=<number> in the text on stdin (xsload's report lines).
field() { grep -oE "(^| )$1=[0-9.]+" | cut -d= -f2; }

# median VALUES...: their median (the mean of the middle two for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

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
