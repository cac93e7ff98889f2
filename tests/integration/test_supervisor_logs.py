"""One log channel per worker: cloisterd writes every line under the
identity it knows (service/instance[pid]), caps its length, scrubs control
bytes and rate-limits each worker; a worker's log fd is non-blocking and a
full channel never blocks it. The stand-in writes on its fds what a
compromised worker could (WRITE, LONG, FLOOD)."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

from cloister_server import CloisterServer
from harness import tool, wait_for
from supervisor_util import FULL, STORED, LineClient, imapd

TS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
# what authd's success line looks like, prefix included
FORGED = "2026-01-01T00:00:00Z authd/2[77]: info: login ok: user=alice mech=PLAIN"


def worker(srv):
    """A client, and the instance and pid of the worker that serves it."""
    c = LineClient("127.0.0.1", srv.port("imap"))
    inst = int(c.readline().split()[-1])
    pid = next(k.pid for k in srv.children("imapd") if k.instance == inst)
    return c, inst, pid


def write(c, fd, data):
    assert c.cmd("WRITE %d %s" % (fd, data.hex())) == "* WROTE %d" % len(data)


def test_a_worker_cannot_write_a_line_that_looks_like_another_process():
    with CloisterServer(FULL) as srv:
        srv.start()
        srv.wait_ready()
        c, inst, pid = worker(srv)
        me = r"%simapd/%d\[%d\]: " % (TS, inst, pid)
        # on the log fd, with a level byte, a newline and a terminal escape
        write(c, 3, b"\x02x\n" + FORGED.encode() + b"\r\x1b[2J\xc2\x9b1m")
        # on fd 2, raw, the way a library or a sanitizer writes there
        write(c, 2, b"\n" + FORGED.encode() + b"\n")
        # a line longer than the cap
        assert c.cmd("LONG 3000") == "* WROTE 3000"
        assert srv.wait_log(r"\[cut\]$", 5)
        assert wait_for(lambda: len([l for l in srv.log if "user=alice" in l]) >= 2, 5)
        lines = [l for l in srv.log if "user=alice" in l or "yyyy" in l]
        for line in lines:
            assert re.match(me + r"(info|stderr): ", line), line
        assert not [l for l in srv.log if re.match(r"(%s)?\S* ?authd/" % TS, l)
                    and "alice" in l]
        assert not [l for l in srv.log if "\x1b" in l or "\r" in l or "\x9b" in l]
        cut = next(l for l in lines if "yyyy" in l)
        assert cut.endswith("[cut]") and len(cut) < 2048 + 100, len(cut)
        c.close()


def test_a_flood_from_one_worker_is_capped_and_delays_no_one_else():
    rate, burst = 50, 100
    with CloisterServer(FULL, options={"log-rate": rate, "log-burst": burst}) as srv:
        srv.start()
        srv.wait_ready()
        a, ainst, apid = worker(srv)
        b, binst, bpid = worker(srv)
        result = {}

        def flood():
            a.sock.settimeout(60)
            result["a"] = a.cmd("FLOOD 200000")
        t0 = time.monotonic()
        t = threading.Thread(target=flood)
        t.start()
        # the other worker's lines get through, each within a second
        worst = 0.0
        for i in range(20):
            mark = "marker %d of b" % i
            sent = time.monotonic()
            write(b, 3, b"\x02" + mark.encode())
            line = srv.wait_log(r"imapd/%d\[%d\]: info: %s$" % (binst, bpid, mark), 2)
            assert line, (mark, srv.log[-5:])
            worst = max(worst, time.monotonic() - sent)
            time.sleep(0.1)
        t.join(60)
        elapsed = time.monotonic() - t0
        assert worst < 1.0, worst
        m = re.match(r"\* FLOODED sent=(\d+) full=(\d+) s=(\d+)", result.get("a", ""))
        assert m, result
        sent, full, secs = map(int, m.groups())
        assert sent + full == 200000
        # the drop count is reported under the flooder's name
        assert srv.wait_log(r"imapd/%d\[%d\]: warning: \d+ log lines dropped \(over log-rate"
                            % (ainst, apid), 3), srv.log[-5:]
        time.sleep(1.2)
        ours = [l for l in srv.log if "flood line" in l]
        assert all(re.match(r"%simapd/%d\[%d\]: info: flood line" % (TS, ainst, apid), l)
                   for l in ours)
        # the burst, then the rate: the log grows by a bounded amount
        allowed = burst + rate * (time.monotonic() - t0 + 1)
        assert len(ours) <= allowed, (len(ours), allowed, elapsed)
        assert sum(len(l) for l in ours) <= allowed * 120
        a.close()
        b.close()


def test_a_full_log_channel_never_blocks_the_worker():
    with CloisterServer(FULL) as srv:
        srv.start()
        srv.wait_ready()
        c, _inst, _pid = worker(srv)
        c.sock.settimeout(10)
        # nobody reads the channel while cloisterd is stopped
        srv.proc.send_signal(signal.SIGSTOP)
        try:
            reply = c.cmd("FLOOD 20000")
        finally:
            srv.proc.send_signal(signal.SIGCONT)
        m = re.match(r"\* FLOODED sent=(\d+) full=(\d+) s=(\d+)", reply)
        assert m, reply
        sent, full, secs = map(int, m.groups())
        # the channel filled, and writes failed at once instead of waiting
        assert full > 0 and sent + full == 20000, reply
        assert secs < 5, reply
        assert c.cmd("still here") == "still here"
        c.close()


def test_in_daemon_mode_worker_lines_go_to_syslog_under_cloisterds_names():
    # /dev/log is a socket of the test's, in a mount namespace of its own
    srv = CloisterServer([STORED, imapd(spares=1)])
    sock_path = os.path.join(srv.tmp, "log.sock")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(sock_path)
    rx.settimeout(0.2)
    got, done = [], threading.Event()

    def reader():
        while not done.is_set():
            try:
                got.append(rx.recv(65536))
            except socket.timeout:
                pass
    t = threading.Thread(target=reader)
    t.start()
    old = os.path.join(srv.tmp, "olddev")
    os.mkdir(old)
    script = "\n".join([
        "set -e", "mount --rbind /dev %s" % old, "mount -t tmpfs tmpfs /dev",
        "for f in null zero urandom random; do touch /dev/$f;"
        " mount --bind %s/$f /dev/$f; done" % old,
        "touch /dev/log", "mount --bind %s /dev/log" % sock_path,
        "exec %s -c %s" % (tool("cloisterd"), srv.config_path)])
    pid = None
    try:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                            "-c", script], capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, r.stderr
        assert wait_for(lambda: os.path.exists(srv.pidfile), 5)
        pid = int(open(srv.pidfile).read())
        with LineClient("127.0.0.1", srv.port("imap")) as c:
            inst = int(c.readline().split()[-1])
            write(c, 3, b"\x04hello syslog\x1b[0m")
        line = "imapd/%d[" % inst

        def seen():   # the worker's own line (its sandbox logs one before)
            return [g for g in got if line.encode() in g and b"hello" in g]
        assert wait_for(seen, 5), got
        # <LOG_DAEMON|LOG_ERR>, cloisterd's header and the worker's name
        assert re.match(rb"<27>\w{3} [ \d]\d \d\d:\d\d:\d\d imapd/%d\[\d+\]: error:"
                        rb" hello syslog\?\[0m$" % inst, seen()[0]), seen()
        assert any(re.match(rb"<30>.* cloisterd\[%d\]: info: started" % pid, g) for g in got)
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10)
        done.set()
        t.join()
        rx.close()
        srv.close()
