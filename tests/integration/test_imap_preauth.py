"""What 300 unauthenticated IMAP connections can pin: each tries its way
(APPEND literals, LITERAL+ streams, a byte now and then, half a TLS
handshake, long lines in and out of TLS) and the memory they add to the
server stays under 64 MiB in total, while a real login still takes under
a second.

Each connection is an imapd process (about 1 MiB of its own), so it is
max-prelogin that bounds the total: past it, the oldest client that has
not logged in is closed to make room. What the same 300 connections cost
when quiet is measured too, and reported, and so is what the attempts
add beyond being open, which must also stay under the budget. The
server's memory is counted where it lives: private memory and page tables
of every imapd, spool memfds by size (in no RSS), and the kernel's queues
of the server's sockets (`ss -tm`). MemTotal - MemAvailable (+ Shmem) is
printed too, but other work on the machine moves it, so it is not what
the test asserts."""
import os
import re
import socket
import ssl
import subprocess
import time

from imap_util import ImapServer, client_context, need_stored
from supervisor_util import BOUND, _sanitized

N = 300
KINDS = ("append_sync", "literal_plus", "slow", "tls_half", "tls_long_line")
BUDGET = 64 * 1024 * 1024
PRELOGIN = None                # max-prelogin: the default (40)
STREAM = 2 * 1024 * 1024       # what each streaming attacker sends
ANNOUNCED = 40 * 1024 * 1024   # ... of a literal this large, under max-literal


def meminfo_used():
    m = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            m[k] = int(v.split()[0]) * 1024
    return m["MemTotal"] - m["MemAvailable"] + m["Shmem"]


def process_bytes(pids):
    """Private memory + page tables of the processes, and the size of every
    memfd they hold (counted once)."""
    total, seen = 0, set()
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith(("Private_Dirty:", "Private_Clean:")):
                        total += int(line.split()[1]) * 1024
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmPTE:"):
                        total += int(line.split()[1]) * 1024
            for fd in os.listdir("/proc/%d/fd" % pid):
                p = "/proc/%d/fd/%s" % (pid, fd)
                if os.readlink(p).startswith("/memfd:"):
                    st = os.stat(p)
                    if st.st_ino not in seen:
                        seen.add(st.st_ino)
                        total += st.st_size
        except OSError:
            continue        # the process left meanwhile
    return total


def socket_bytes(ports):
    """Kernel memory of the server's end of every connection on ports:
    receive queue, send queue and forward allocation (ss -tm skmem)."""
    flt = " or ".join("sport = :%d" % p for p in ports)
    out = subprocess.run(["ss", "-tmnH", "( %s )" % flt], capture_output=True,
                         text=True, timeout=30).stdout
    total = 0
    for m in re.finditer(r"skmem:\(([^)]*)\)", out):
        fields = dict(re.findall(r"([a-z]+)(\d+)", m.group(1)))
        total += sum(int(fields.get(k, 0)) for k in ("r", "w", "f"))
    return total


def server_bytes(srv):
    return process_bytes(srv.imapd_pids()) + socket_bytes(
        [srv.port("plain"), srv.port("imaps")])


def client_hello():
    """The first flight of a real TLS client, to send half of."""
    ctx = client_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


class Conn:
    def __init__(self, srv, kind, ctx):
        self.kind, self.sent, self.closed = kind, 0, False
        self.go = kind == "literal_plus"    # stream literal bytes
        port = srv.port("imaps" if kind.startswith("tls") else "plain")
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if kind == "tls_long_line":
            s = ctx.wrap_socket(s)
        if kind != "tls_half":
            s.recv(4096)                      # the greeting
        self.s = s

    def send(self, data):
        if self.closed:
            return
        try:
            self.s.sendall(data)
            self.sent += len(data)
        except OSError:
            self.closed = True

    def read_some(self):
        self.s.settimeout(0.05)
        try:
            d = self.s.recv(65536)
            if not d:
                self.closed = True
            return d
        except (socket.timeout, ssl.SSLWantReadError):
            return b""
        except OSError:
            self.closed = True
            return b""
        finally:
            self.s.settimeout(2)

    def start(self, hello):
        """The first move of each kind of attempt."""
        if self.kind == "append_sync":
            self.send(b"a1 APPEND INBOX {%d}\r\n" % ANNOUNCED)
        elif self.kind == "literal_plus":
            self.send(b"b1 APPEND INBOX {%d+}\r\n" % ANNOUNCED)
        elif self.kind == "slow":
            self.send(b"c1 LOGIN ")
        elif self.kind == "tls_half":
            self.send(hello[:len(hello) // 2])
        else:
            self.send(b"d1 ID (\"x\" \"" + b"y" * 8000)   # no line end

    def push(self):
        """Keep trying: stream what the server lets through."""
        if self.kind == "append_sync" and not self.go:
            self.go = b"+ " in self.read_some()
            if not self.go and self.sent < 100:
                self.send(b"n" * 6000)        # a long line, no line end
        if self.go:
            while not self.closed and self.sent < STREAM:
                self.send(b"m" * 65536)
        elif self.kind == "slow":
            self.send(b"x")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def open_all(srv, ctx):
    conns = []
    for i in range(N):
        conns.append(Conn(srv, KINDS[i % len(KINDS)], ctx))
    return conns


def settle(srv, want, timeout=30):
    """Wait until the number of imapd processes is at most want."""
    end = time.time() + timeout
    while len(srv.imapd_pids()) > want and time.time() < end:
        time.sleep(0.2)


def test_300_preauth_connections_pin_little_and_a_login_still_works():
    if not need_stored():
        return
    ctx = client_context()
    hello = client_hello()
    with ImapServer(spares=2, maxproc=N + 50, maxip=N + 50,
                    prelogin=60, maxprelogin=PRELOGIN) as srv:
        settle(srv, 2)
        time.sleep(1)
        base, base_mi = server_bytes(srv), meminfo_used()
        # what the connections cost just by being open
        quiet = open_all(srv, ctx)
        time.sleep(2)
        quiet_b, quiet_mi = server_bytes(srv), meminfo_used()
        for c in quiet:
            c.close()
        settle(srv, 2)
        time.sleep(1)
        base2 = server_bytes(srv)
        # the same connections, each trying to pin memory
        conns = open_all(srv, ctx)
        for c in conns:
            c.start(hello)
        for _ in range(3):
            for c in conns:
                c.push()
            time.sleep(1)
        attack_b, attack_mi = server_bytes(srv), meminfo_used()
        t0 = time.time()
        m = srv.login("alice", kind="tls")
        took = time.time() - t0
        m.logout()
        still_open = sum(1 for c in conns if not c.closed)
        for c in conns:
            c.close()
        mib = 1024.0 * 1024
        print("  quiet: %.1f MiB for %d connections (%.0f KiB each);"
              " meminfo %+.1f MiB" % ((quiet_b - base) / mib, N,
                                       (quiet_b - base) / 1024.0 / N,
                                       (quiet_mi - base_mi) / mib))
        print("  attempts: %.1f MiB (%.1f MiB beyond quiet), %d of %d"
              " still open; meminfo %+.1f MiB; login %.2f s"
              % ((attack_b - base2) / mib, (attack_b - quiet_b) / mib,
                 still_open, N, (attack_mi - base_mi) / mib, took))
        # ASan's shadow memory makes every process several times larger:
        # the figures are the production build's
        if not _sanitized():
            assert attack_b - base2 < BUDGET, (attack_b - base2) / mib
            assert quiet_b - base < BUDGET, (quiet_b - base) / mib
            assert attack_b - quiet_b < BUDGET, (attack_b - quiet_b) / mib
        assert took < BOUND, took
        # the closed ones were retired, not counted as failures
        assert not srv.srv.wait_log(r"imapd: held", 0), "imapd held"


def test_past_max_prelogin_the_oldest_client_before_login_makes_room():
    """The cap closes clients that have not logged in, oldest first, and
    never a logged-in session (authd tells cloisterd of each login)."""
    if not need_stored():
        return
    with ImapServer(spares=2, maxproc=60, maxip=60, maxprelogin=4) as srv:
        m = srv.login("alice", kind="tls")          # logged in first: oldest
        conns = []
        for _ in range(12):
            s = socket.create_connection(("127.0.0.1", srv.port("plain")),
                                         timeout=10)
            assert s.recv(4096).startswith(b"* OK")
            conns.append(s)
            time.sleep(0.05)

        def closed(s):
            s.settimeout(3)
            try:
                s.sendall(b"x1 NOOP\r\n")
                return s.recv(4096) == b""
            except OSError:
                return True
        gone = [closed(s) for s in conns]
        # the first eight made room for the last four, who still talk
        assert gone == [True] * 8 + [False] * 4, gone
        assert m.noop()[0] == "OK"
        m.logout()
        for s in conns:
            s.close()
        assert not srv.srv.wait_log(r"imapd: held", 0), "imapd held"
