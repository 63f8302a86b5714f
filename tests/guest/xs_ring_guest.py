#!/usr/bin/python3
"""A XenStore guest on the simulated hypervisor's ring, written from the protocol alone.

It shares no code with XenStorePS: it is the "independent program" that proves a guest in
any language can talk to the daemon through DIR/D/ring (the 4 KiB xenstore_domain_interface
page, mapped shared) and the datagram sockets DIR/D/guest.evtchn / DIR/D/daemon.evtchn.

usage: xs_ring_guest.py DIR DOMID            (line-oriented JSON commands on stdin)
       xs_ring_guest.py DIR --workload FIRST COUNT OPS   (COUNT guests FIRST.. in one process)

Commands (one JSON object per line; one JSON answer per line):
  {"op": "send", "type": 2, "req": 1, "tx": 0, "args": ["a", "b"], "raw": "<hex>"}
      args are NUL-terminated strings; raw (hex) is appended unterminated (WRITE values)
  {"op": "recv", "timeout": 5}  -> {"type", "req", "tx", "payload" (hex)} or {"timeout": true}
  {"op": "bytes", "hex": "..."} -> write raw bytes into the request ring (garbage tests)
  {"op": "set", "field": "req_prod", "value": N}  -> poke an index (corruption tests)
  {"op": "state"}               -> {"features", "connection", "error", indices...}
  {"op": "reconnect", "timeout": 5} -> ask for a ring reset, wait until the daemon answers
  {"op": "flood", "count": N}   -> write N READ requests without reading any reply
  {"op": "cycle", "messages": [{"type": 2, "tx": 0, "payload": "a/%d\u0000"}], "timeout": 3}
      -> an attacker: sends the messages in turn ("%d" replaced by a running count) for the
         whole timeout, consuming replies unread; answers {"sent": N}
  {"op": "quit"}
"""
import ctypes
import json
import mmap
import os
import select
import socket
import struct
import sys
import time

RING = 1024
REQ, RSP = 0, 1024
REQ_CONS, REQ_PROD, RSP_CONS, RSP_PROD = 2048, 2052, 2056, 2060
FEATURES, CONNECTION, ERROR = 2064, 2068, 2072
FIELDS = {"req_cons": REQ_CONS, "req_prod": REQ_PROD, "rsp_cons": RSP_CONS,
          "rsp_prod": RSP_PROD, "connection": CONNECTION}


class Guest:
    def __init__(self, directory, domid):
        self.dir = os.path.join(directory, str(domid))
        os.makedirs(self.dir, exist_ok=True)
        ring = os.path.join(self.dir, "ring")
        with open(ring, "wb") as f:
            f.write(b"\0" * 4096)
        self.fd = os.open(ring, os.O_RDWR)
        self.page = mmap.mmap(self.fd, 4096, mmap.MAP_SHARED)
        own = os.path.join(self.dir, "guest.evtchn")
        if os.path.exists(own):
            os.unlink(own)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(own)
        self.sock.setblocking(False)
        self.peer = os.path.join(self.dir, "daemon.evtchn")
        self.inbuf = b""

    def u32(self, off):
        # One aligned 4-byte load, as C's would be: struct reads byte by byte, and a torn
        # read of an index the daemon is moving can run ahead of it (the daemon then rightly
        # reports impossible indices).
        return ctypes.c_uint32.from_buffer(self.page, off).value

    def set32(self, off, value):
        ctypes.c_uint32.from_buffer(self.page, off).value = value & 0xFFFFFFFF

    def notify(self):
        try:
            self.sock.sendto(b"\1", self.peer)
        except OSError:
            pass  # nobody bound yet: a notification is only a hint

    def wait(self, seconds):
        select.select([self.sock], [], [], seconds)
        try:
            while True:
                self.sock.recv(64)
        except BlockingIOError:
            pass

    def write(self, data, deadline):
        while data:
            cons, prod = self.u32(REQ_CONS), self.u32(REQ_PROD)
            free = RING - ((prod - cons) & 0xFFFFFFFF)
            if free <= 0:
                if time.time() > deadline:
                    raise TimeoutError("request ring full")
                self.wait(0.05)
                continue
            n = min(free, len(data))
            for i in range(n):
                self.page[REQ + ((prod + i) & (RING - 1))] = data[i]
            self.set32(REQ_PROD, prod + n)  # x86 stores are ordered; mmap writes go in order
            self.notify()
            data = data[n:]

    def pump(self):
        cons, prod = self.u32(RSP_CONS), self.u32(RSP_PROD)
        n = (prod - cons) & 0xFFFFFFFF
        if n > RING:
            raise RuntimeError("impossible response indices")
        if n:
            self.inbuf += bytes(self.page[RSP + ((cons + i) & (RING - 1))] for i in range(n))
            self.set32(RSP_CONS, cons + n)
            self.notify()
        return n

    def recv(self, timeout):
        deadline = time.time() + timeout
        while True:
            self.pump()
            if len(self.inbuf) >= 16:
                t, req, tx, ln = struct.unpack_from("<IIII", self.inbuf)
                if len(self.inbuf) >= 16 + ln:
                    payload = self.inbuf[16:16 + ln]
                    self.inbuf = self.inbuf[16 + ln:]
                    return t, req, tx, payload
            if time.time() > deadline:
                return None
            self.wait(0.05)

    def send(self, mtype, req, tx, payload, timeout=5):
        self.write(struct.pack("<IIII", mtype, req, tx, len(payload)) + payload, time.time() + timeout)

    def request(self, mtype, req, args, raw=b"", tx=0, timeout=5):
        """Sends a request and returns its reply; watch events met on the way are kept."""
        payload = b"".join(a.encode() + b"\0" for a in args) + raw
        self.send(mtype, req, tx, payload)
        events = []
        while True:
            m = self.recv(timeout)
            if m is None:
                raise TimeoutError("no reply to request %d" % req)
            if m[0] == 15:
                events.append(m[3])
                continue
            return m, events


def serve(directory, domid):
    g = Guest(directory, domid)
    print(json.dumps({"ready": True, "ring": os.path.join(g.dir, "ring")}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        out = {"ok": True}
        if op == "send":
            payload = b"".join(a.encode("latin-1") + b"\0" for a in cmd.get("args", []))
            payload += bytes.fromhex(cmd.get("raw", ""))
            g.send(cmd["type"], cmd.get("req", 0), cmd.get("tx", 0), payload)
        elif op == "recv":
            m = g.recv(cmd.get("timeout", 5))
            out = {"timeout": True} if m is None else {
                "type": m[0], "req": m[1], "tx": m[2], "payload": m[3].hex()}
        elif op == "bytes":
            g.write(bytes.fromhex(cmd["hex"]), time.time() + 5)
        elif op == "set":
            g.set32(FIELDS[cmd["field"]], cmd["value"])
            g.notify()
        elif op == "state":
            out = {"features": g.u32(FEATURES), "connection": g.u32(CONNECTION),
                   "error": g.u32(ERROR), "req_cons": g.u32(REQ_CONS), "req_prod": g.u32(REQ_PROD),
                   "rsp_cons": g.u32(RSP_CONS), "rsp_prod": g.u32(RSP_PROD)}
        elif op == "reconnect":
            g.set32(CONNECTION, 1)
            g.notify()
            deadline = time.time() + cmd.get("timeout", 5)
            while g.u32(CONNECTION) != 0 and time.time() < deadline:
                g.wait(0.05)
            g.inbuf = b""
            out = {"ok": g.u32(CONNECTION) == 0}
        elif op == "flood":
            # Requests without reading replies: the daemon must stop reading, not buffer forever.
            # With "write": WRITEs of "<write><n>" instead of READs of "a" (a guest making nodes);
            # with "discard": replies are consumed unread, so the daemon keeps taking requests.
            sent = 0
            deadline = time.time() + cmd.get("timeout", 3)
            def request(n):
                if "write" not in cmd:
                    return struct.pack("<IIII", 2, 7, 0, 2) + b"a\0"
                payload = (cmd["write"] + str(n)).encode() + b"\0v"
                return struct.pack("<IIII", 11, 7, 0, len(payload)) + payload
            while sent < cmd["count"] and time.time() < deadline:
                msg = request(sent)
                if cmd.get("discard"):
                    g.set32(RSP_CONS, g.u32(RSP_PROD))
                    g.notify()
                cons, prod = g.u32(REQ_CONS), g.u32(REQ_PROD)
                if RING - ((prod - cons) & 0xFFFFFFFF) < len(msg):
                    g.wait(0.05)
                    continue
                for i, b in enumerate(msg):
                    g.page[REQ + ((prod + i) & (RING - 1))] = b
                g.set32(REQ_PROD, prod + len(msg))
                g.notify()
                sent += 1
            out = {"sent": sent}
        elif op == "cycle":
            templates = [(m["type"], m.get("tx", 0), m["payload"]) for m in cmd["messages"]]
            sent = 0
            deadline = time.time() + cmd.get("timeout", 3)
            pending = b""
            while time.time() < deadline:
                if not pending:
                    mtype, tx, text = templates[sent % len(templates)]
                    payload = text.replace("%d", str(sent)).encode("latin-1")
                    pending = struct.pack("<IIII", mtype, 7, tx, len(payload)) + payload
                    sent += 1
                # Replies are consumed unread, so the daemon goes on taking requests.
                g.set32(RSP_CONS, g.u32(RSP_PROD))
                cons, prod = g.u32(REQ_CONS), g.u32(REQ_PROD)
                room = RING - ((prod - cons) & 0xFFFFFFFF)
                if room == 0:
                    g.notify()
                    g.wait(0.01)
                    continue
                # What fits now: a message longer than the ring goes in pieces.
                chunk, pending = pending[:room], pending[room:]
                start = prod & (RING - 1)
                first = min(len(chunk), RING - start)
                g.page[REQ + start:REQ + start + first] = chunk[:first]
                g.page[REQ:REQ + len(chunk) - first] = chunk[first:]
                g.set32(REQ_PROD, prod + len(chunk))
                g.notify()
            out = {"sent": sent}
        elif op == "quit":
            print(json.dumps(out), flush=True)
            return
        print(json.dumps(out), flush=True)


def workload(directory, first, count, ops):
    """COUNT guests in this process, each writing, reading and watching its own home."""
    guests = [(first + i, Guest(directory, first + i)) for i in range(count)]
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()  # dom0 introduces every guest, then says go
    errors = 0
    done = 0
    for domid, g in guests:
        m, _ = g.request(4, 1, ["data", "w%d" % domid])
        errors += m[0] != 4
    for k in range(ops):
        for domid, g in guests:
            value = ("%d-%d" % (domid, k)).encode()
            m, _ = g.request(11, 10 + k, ["data/k%d" % (k % 5)], raw=value)
            errors += m[0] != 11
            m, _ = g.request(2, 20 + k, ["data/k%d" % (k % 5)])
            errors += m[0] != 2 or m[3] != value
            m, _ = g.request(2, 30 + k, ["/local/domain/0/name"])
            errors += m[0] != 16 or m[3] != b"EACCES\0"
            done += 3
    print(json.dumps({"guests": count, "requests": done, "errors": errors}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[2] == "--workload":
        workload(sys.argv[1], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        serve(sys.argv[1], int(sys.argv[2]))
