#!/usr/bin/python3
"""Records the seed corpus from real clients talking to our daemon.

usage: tests/Fuzz/make-corpus.py        (rewrites tests/Fuzz/corpus/{codec,daemon,journal})

Starts the standalone daemon (src/Daemon), puts a recording proxy in front of its Unix
socket and runs Debian's xenstore-utils and python3-pyxs against the proxy, one client
session per connection. Each session becomes one seed:
  corpus/daemon/<name>   control byte + what the client sent
                         (control 0: dom0; 1: the guest domain, for sessions with relative
                         paths; pyxs sessions also as <name>-two, control 0x10: dom0 and the
                         guest, as pyxs numbers its requests one after the other)
  corpus/codec/<name>    control byte + what the client sent + what the daemon answered
The daemon keeps its store with --persist meanwhile, and the journal it wrote becomes
  corpus/journal/segment       control 0 + the whole journal segment file
  corpus/journal/record-<n>    control 1 + the body of the segment's n-th record (the
                               target wraps it with a valid CRC, reaching the record parser)
The control byte's meaning is in tests/Fuzz/Targets (DaemonTarget, CodecTarget).
pyxs is imported from the system Python, where Debian installs it: run this with python3
from /usr/bin (the shebang does).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
GUEST = 1  # control byte of DaemonTarget: an unprivileged guest
TWO = 0x10  # control byte of DaemonTarget: dom0 and the guest, requests routed by request id


class Recorder:
    """A Unix socket that relays to the daemon and keeps each connection's bytes."""

    def __init__(self, listen_path, daemon_path):
        self.daemon_path = daemon_path
        self.sessions = []  # (client bytes, daemon bytes) per closed connection
        self.lock = threading.Lock()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(listen_path)
        self.server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.server.accept()
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.daemon_path)
        sent, answered = bytearray(), bytearray()

        def pump(src, dst, log):
            try:
                while data := src.recv(65536):
                    log += data
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        back = threading.Thread(target=pump, args=(upstream, client, answered))
        back.start()
        pump(client, upstream, sent)
        back.join()
        with self.lock:
            self.sessions.append((bytes(sent), bytes(answered)))

    def take(self, count, timeout=10):
        """Waits for `count` more closed sessions and returns them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.sessions) >= count:
                    taken, self.sessions = self.sessions[:count], self.sessions[count:]
                    # Connections close in any order: sort them so that seed names are stable.
                    return sorted(taken)
            time.sleep(0.02)
        raise SystemExit(f"expected {count} client sessions, saw {len(self.sessions)}")


def main():
    scratch = tempfile.mkdtemp(prefix="xsps-corpus-")
    try:
        record(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def record(scratch):
    subprocess.run(["dotnet", "build", "src/Daemon/XenStored.csproj", "-c", "Release", "--nologo", "-v", "quiet"],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    run = os.path.join(scratch, "run")
    store = os.path.join(scratch, "store")
    daemon = subprocess.Popen(["dotnet", "src/Daemon/bin/Release/net8.0/xenstored-ps.dll", "--rundir", run,
                               "--persist", store, "--fsync", "never"], cwd=REPO)
    try:
        socket_path = os.path.join(run, "socket")
        for _ in range(300):
            if os.path.exists(socket_path):
                break
            time.sleep(0.1)
        proxy = os.path.join(scratch, "proxy")
        recorder = Recorder(proxy, socket_path)
        seeds = Seeds()
        for name, control, action in sessions(proxy):
            before = len(recorder.sessions)
            count = action()
            for i, (sent, answered) in enumerate(recorder.take(count)):
                seeds.add(name if count == 1 else f"{name}-{i}", control, sent, answered)
        seeds.save()
    finally:
        daemon.terminate()
        daemon.wait(10)
    save_journal(store + ".journal.00000000")


def save_journal(segment):
    """The journal seeds: the segment whole, and a spread of its records' bodies."""
    with open(segment, "rb") as f:
        data = f.read()
    bodies, at = [], 0
    while at + 8 <= len(data):
        length = int.from_bytes(data[at:at + 4], "little")
        bodies.append(data[at + 8:at + 8 + length])
        at += 8 + length
    folder = os.path.join(HERE, "corpus", "journal")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    with open(os.path.join(folder, "segment"), "wb") as f:
        f.write(bytes([0]) + data)
    # The first records (the starting tree), then every eighth, and the largest.
    chosen = sorted(set(range(min(4, len(bodies)))) | set(range(0, len(bodies), 8))
                    | {max(range(len(bodies)), key=lambda i: len(bodies[i]))})
    for i in chosen:
        with open(os.path.join(folder, f"record-{i}"), "wb") as f:
            f.write(bytes([1]) + bodies[i])
    print(f"journal: {1 + len(chosen)} seeds from {len(bodies)} records, {len(data)} bytes")


class Seeds:
    def __init__(self):
        self.daemon, self.codec = {}, {}

    def add(self, name, control, sent, answered):
        if not sent:
            return
        self.daemon.setdefault(bytes([control]) + sent, name)
        if name.startswith("pyxs-") and control == 0:
            self.daemon.setdefault(bytes([TWO]) + sent, name + "-two")
        self.codec.setdefault(bytes([0]) + sent + answered, name)

    def save(self):
        for target, seeds in (("daemon", self.daemon), ("codec", self.codec)):
            folder = os.path.join(HERE, "corpus", target)
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            for data, name in seeds.items():
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(data)
            print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds))} bytes")


def sessions(proxy):
    """(seed name, control byte, action returning how many connections it made)."""
    env = dict(os.environ, XENSTORED_PATH=proxy)

    def tool(*args, ok=True):
        def action():
            result = subprocess.run(list(args), env=env, capture_output=True, timeout=30)
            if ok and result.returncode != 0:
                raise SystemExit(f"{' '.join(args)}: {result.stderr.decode()}")
            return 1
        return action

    def watch():
        # xenstore-watch -n 2 ends after the registration event and one change.
        w = subprocess.Popen(["xenstore-watch", "-n", "2", "/corpus/watched"], env=env, stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        tool("xenstore-write", "/corpus/watched/x", "changed")()
        w.wait(30)
        return 2

    return [
        ("write", 0, tool("xenstore-write", "/corpus/a", "hello", "/corpus/b/c", "world")),
        ("read", 0, tool("xenstore-read", "/corpus/a", "/corpus/b/c")),
        ("read-missing", 0, tool("xenstore-read", "/corpus/none", ok=False)),
        ("list", 0, tool("xenstore-list", "/corpus")),
        ("ls", 0, tool("xenstore-ls", "/corpus")),
        ("ls-perms", 0, tool("xenstore-ls", "-fp", "/corpus")),
        ("exists", 0, tool("xenstore-exists", "/corpus/a")),
        ("chmod", 0, tool("xenstore-chmod", "/corpus/a", "n0", "r5", "w6")),
        ("chmod-recursive", 0, tool("xenstore-chmod", "-r", "/corpus/b", "b0", "r5")),
        ("watch", 0, watch),
        ("rm", 0, tool("xenstore-rm", "/corpus/b")),
        ("guest-relative", GUEST, tool("xenstore-write", "data/x", "1", "data/y", "2")),
        ("guest-ls", GUEST, tool("xenstore-ls", "data")),
        ("guest-rm", GUEST, tool("xenstore-rm", "data/x")),
        ("pyxs-basics", 0, pyxs_session(proxy, pyxs_basics)),
        ("pyxs-transaction", 0, pyxs_session(proxy, pyxs_transaction)),
        ("pyxs-watch", 0, pyxs_session(proxy, pyxs_watch)),
        ("pyxs-domains", 0, pyxs_session(proxy, pyxs_domains)),
        ("pyxs-guest", GUEST, pyxs_session(proxy, pyxs_guest)),
    ]


def pyxs_session(proxy, body):
    def action():
        from pyxs import Client
        with Client(unix_socket_path=proxy) as c:
            body(c)
        return 1
    return action


def pyxs_basics(c):
    from pyxs import PyXSError
    c.write(b"/pyxs/a", b"1")
    c.mkdir(b"/pyxs/dir")
    c.read(b"/pyxs/a")
    c.list(b"/pyxs")
    c.exists(b"/pyxs/zz")
    c.set_perms(b"/pyxs/a", [b"b0", b"r5"])
    c.get_perms(b"/pyxs/a")
    list(c.walk(b"/pyxs"))
    try:
        c.read(b"/pyxs/zz")
    except PyXSError:
        pass
    c.delete(b"/pyxs")


def pyxs_transaction(c):
    c.transaction()
    c.write(b"/pyxs/t", b"in")
    c.read(b"/pyxs/t")
    c.commit()
    c.transaction()
    c.write(b"/pyxs/t", b"dropped")
    c.rollback()


def pyxs_watch(c):
    m = c.monitor()
    m.watch(b"/pyxs/w", b"token")
    next(m.wait())
    c.write(b"/pyxs/w", b"x")
    next(m.wait())
    m.unwatch(b"/pyxs/w", b"token")


def pyxs_domains(c):
    from pyxs import PyXSError
    # pyxs sends the domain requests only where /proc/xen says it runs in dom0: say so here.
    c.SU = True
    # Errors are part of the traffic worth keeping: a domain without a hypervisor cannot resume.
    for call, args in ((c.introduce_domain, (7, 0x1234, 3)), (c.is_domain_introduced, (7,)),
                       (c.get_domain_path, (7,)), (c.resume_domain, (7,)), (c.set_target, (7, 0)),
                       (c.release_domain, (7,))):
        try:
            call(*args)
        except PyXSError:
            pass


def pyxs_guest(c):
    from pyxs import PyXSError
    c.write(b"data/p", b"v")
    c.read(b"data/p")
    c.get_domain_path(5)
    try:
        # Recorded against dom0, where domain 5 does not exist (ENOENT); replayed as domain 5 it owns the node.
        c.set_perms(b"data/p", [b"n5", b"r0"])
    except PyXSError:
        pass
    c.list(b"data")
    c.delete(b"data/p")


if __name__ == "__main__":
    main()
