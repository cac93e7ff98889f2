"""The global and per-IP limits, and a flood from one address that must
not keep other clients out."""
import errno
import resource
import selectors
import socket
import statistics
import subprocess
import threading
import time

from cloister_server import CloisterServer
from harness import wait_for
from supervisor_util import BOUND, METRICS, STORED, LineClient, imapd, login, metrics


def first_lines(socks, timeout):
    """{sock: (first line or b'' on EOF, seconds after start)}."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, b"")
    out = {}
    t0 = time.monotonic()
    while len(out) < len(socks) and time.monotonic() - t0 < timeout:
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            buf = key.data + data
            if not data or b"\n" in buf:
                out[s] = (buf.split(b"\n")[0] if data else b"", time.monotonic() - t0)
                sel.unregister(s)
            else:
                sel.modify(s, selectors.EVENT_READ, buf)
    sel.close()
    return out


def test_200_connections_against_a_maximum_of_100():
    with CloisterServer([STORED, imapd(spares=4, max_processes=100, max_per_ip=0),
                         METRICS]) as srv:
        srv.start()
        srv.wait_ready()
        peak = [0]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], len(srv.children("imapd")))
                time.sleep(0.01)
        w = threading.Thread(target=watch)
        w.start()
        socks = []
        try:
            for _ in range(200):
                socks.append(socket.create_connection(("127.0.0.1", srv.port("imap")), 5))
            res = first_lines(socks, 20 * BOUND)
        finally:
            stop.set()
            w.join()
        served = [t for line, t in res.values() if line.startswith(b"* OK cloister-standin")]
        closed = [t for line, t in res.values() if line == b""]
        assert len(res) == 200, len(res)
        assert len(served) == 100 and len(closed) == 100, (len(served), len(closed))
        assert max(closed) < BOUND, max(closed)      # refused at once
        assert peak[0] <= 100, peak[0]              # never past the maximum
        assert srv.proc.poll() is None
        assert wait_for(lambda: metrics(srv).get("imapd", {}).get("refusals") == 100, 5)
        # served ones still work; once they go, there is room again
        s = next(s for s, (line, _) in res.items() if line)
        s.setblocking(True)
        s.sendall(b"echo\r\n")
        assert s.recv(100) == b"echo\r\n"
        for s in socks:
            s.close()
        assert wait_for(lambda: len(srv.children("imapd")) <= 4, 10)
        assert login("127.0.0.1", srv.port("imap")) < BOUND


def test_the_per_ip_limit_holds():
    with CloisterServer([STORED, imapd(spares=2, max_per_ip=3)]) as srv:
        srv.start()
        srv.wait_ready()
        socks = [socket.create_connection(("127.0.0.1", srv.port("imap")), 5)
                 for _ in range(5)]
        res = first_lines(socks, 10)
        lines = sorted(line for line, _ in res.values())
        assert lines.count(b"") == 2 and len([l for l in lines if l.startswith(b"* OK")]) == 3
        # another address is not affected
        with LineClient("127.0.0.1", srv.port("imap"), source="127.0.0.2", timeout=20) as c:
            assert c.readline().startswith("* OK")
        # a slot frees when a client leaves
        for s, (line, _) in res.items():
            if line:
                s.close()
                break

        def served():
            with LineClient("127.0.0.1", srv.port("imap"), timeout=20) as c:
                return c.readline().startswith("* OK")
        assert wait_for(served, 10, 0.1)
        for s in socks:
            s.close()


class Flood:
    """n connections from source that never send a byte; whatever the
    server closes is opened again, for as long as it runs."""

    def __init__(self, port, source, n):
        self.port, self.source, self.n = port, source, n
        self.socks = []
        self.opened = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open_one(self):
        s = socket.socket()
        s.setblocking(False)
        s.bind((self.source, 0))
        err = s.connect_ex(("127.0.0.1", self.port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            return
        self.socks.append(s)
        self.opened += 1

    def run(self):
        while not self.stop.is_set():
            alive = []
            for s in self.socks:
                try:
                    gone = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
                except BlockingIOError:
                    gone = False
                except OSError:
                    gone = True
                if gone:
                    s.close()
                else:
                    alive.append(s)
            self.socks = alive
            while len(self.socks) < self.n and not self.stop.is_set():
                self.open_one()
            self.stop.wait(0.5)
        for s in self.socks:
            s.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def test_a_silent_flood_from_one_address_does_not_keep_others_out():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 16384)), hard))
    # defaults for backlog (4096) and max-per-ip (10); a short pre-login
    # timeout so that the flood's few admitted connections rotate
    with CloisterServer([STORED, imapd(spares=4, prelogin_timeout=10), METRICS]) as srv:
        srv.start()
        srv.wait_ready()
        times = []
        with Flood(srv.port("imap"), "127.0.0.2", 3000) as flood:
            assert wait_for(lambda: flood.opened >= 3000, 20)
            t_end = time.monotonic() + 60
            while time.monotonic() < t_end:
                t0 = time.monotonic()
                times.append(login("127.0.0.1", srv.port("imap"), timeout=5))
                time.sleep(max(0.0, 2.0 - (time.monotonic() - t0)))
            opened = flood.opened
        m = metrics(srv)["imapd"]
        print("flood: %d connections opened from 127.0.0.2, %d refused; %d logins,"
              " p50 %.1f ms, max %.1f ms" % (opened, m["refusals"], len(times),
                                            statistics.median(times) * 1000,
                                            max(times) * 1000))
        assert len(times) >= 29
        assert max(times) < BOUND, times
        assert m["refusals"] >= 2990          # the flood was real and refused
        assert srv.proc.poll() is None


def served_now(srv):
    """One login attempt: True when the greeting and round trip came."""
    try:
        login("127.0.0.1", srv.port("imap"))
        return True
    except (AssertionError, OSError):
        return False


def test_out_of_file_descriptors_refuses_and_recovers():
    with CloisterServer([STORED, imapd(spares=2, max_per_ip=0)]) as srv:
        srv.start()
        srv.wait_ready()
        # few fds (soft limit only: workers still set their policy's):
        # a burst of clients runs cloisterd out of them
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        subprocess.run(["prlimit", "--pid", str(srv.pid), "--nofile=40:%d" % hard],
                       check=True)
        socks = [socket.create_connection(("127.0.0.1", srv.port("imap")), 5)
                 for _ in range(80)]
        res = first_lines(socks, 20)
        served = [l for l, _ in res.values() if l.startswith(b"* OK")]
        assert len(res) == 80 and 0 < len(served) < 80, len(served)
        assert srv.wait_log(r"imapd: accept: Too many open files; refusing", 5)
        assert srv.proc.poll() is None
        for s in socks:
            s.close()
        # once the clients are gone, it serves again
        assert wait_for(lambda: len(srv.children("imapd")) <= 2, 10)
        # the spares it forks meanwhile take fds too: a connection that
        # lands while they do is still refused, the next ones are served
        assert wait_for(lambda: served_now(srv), 10)
        assert login("127.0.0.1", srv.port("imap")) < BOUND
