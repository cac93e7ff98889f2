#!/usr/bin/env python3
"""wake-pages: how many memory pages one idling imapd touches to tell its
client "* N EXISTS" after another session's APPEND — the working set behind
the IDLE fan-out latency (bench/README.md, "IDLE fan-out").

    CLOISTER_BUILD=$PWD/build bench/imap/wake-pages.py [--rounds 5] [--plain]

Starts a server from CLOISTER_BUILD (run as root), puts one session in
IDLE, then per round: clears the idler's referenced bits
(/proc/PID/clear_refs), appends one message from a second session, waits
for the EXISTS, and reads /proc/PID/smaps "Referenced" per mapping. Prints
the round that touched the most pages (a kernel memory monitor such as
DAMON may clear bits too, which can only lower a round's count), per
mapping. Deterministic, unlike a latency: compare it before and after a
change to the wake-up path."""
import argparse
import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from imap_util import ImapServer  # noqa: E402


def socket_inode(local_port, remote_port):
    """Inode of the server-side TCP socket of a loopback connection."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for ln in f:
                fields = ln.split()
                lport = int(fields[1].rsplit(":", 1)[1], 16)
                rport = int(fields[2].rsplit(":", 1)[1], 16)
                if lport == local_port and rport == remote_port:
                    return fields[9]
    return None


def owner_of(inode, pids):
    want = "socket:[%s]" % inode
    for pid in pids:
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == want:
                    return pid
        except OSError:
            continue
    return None


def referenced(pid):
    """{mapping: pages referenced} from /proc/PID/smaps."""
    out = {}
    cur = None
    with open("/proc/%d/smaps" % pid) as f:
        for ln in f:
            m = re.match(r"^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$", ln)
            if m:
                name = os.path.basename(m.group(2)) or "[anon]"
                cur = "%s %s" % (name, m.group(1))
            elif ln.startswith("Referenced:") and cur is not None:
                kb = int(ln.split()[1])
                if kb:
                    out[cur] = out.get(cur, 0) + kb // 4
    return out


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--plain", action="store_true",
                    help="the loopback plaintext listener: the wake-up "
                    "without userspace TLS, as with kernel TLS")
    a = ap.parse_args(argv)
    with ImapServer(spares=2) as srv:
        kind = "plain" if a.plain else "imaps"
        idler = srv.raw_login(kind=kind)
        idler.cmd("s", "SELECT INBOX")
        idler.send("i IDLE\r\n")
        if idler.line() != b"+ idling":
            raise SystemExit("IDLE refused")
        sock = idler.s
        inode = socket_inode(srv.port(kind), sock.getsockname()[1])
        pid = owner_of(inode, srv.imapd_pids()) if inode else None
        if pid is None:
            raise SystemExit("cannot find the idling imapd")
        other = srv.raw_login()
        other.cmd("s", "SELECT INBOX")
        best = {}
        msg = b"From: a@example.org\r\nSubject: wake\r\n\r\nhello\r\n"
        for i in range(a.rounds):
            time.sleep(0.2)          # the idler settles back into poll()
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("1")
            other.send(b"A%d APPEND INBOX {%d+}\r\n" % (i, len(msg)) + msg +
                       b"\r\n")
            while not other.line().startswith(b"A%d " % i):
                pass
            line = idler.line()
            if not re.match(rb"\* \d+ EXISTS", line or b""):
                raise SystemExit("idler heard %r" % line)
            time.sleep(0.1)
            got = referenced(pid)
            if sum(got.values()) > sum(best.values()):
                best = got
        print("pages touched by one idling imapd per unsolicited EXISTS "
              "(most of %d rounds): %d" % (a.rounds, sum(best.values())))
        for name, n in sorted(best.items(), key=lambda kv: -kv[1]):
            print("  %4d  %s" % (n, name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
