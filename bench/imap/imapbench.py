#!/usr/bin/env python3
"""imapbench: the same IMAP workloads against several servers, side by side.

    imapbench.py [options] NAME=HOST:PORT[:PROCS] ...

Each server is an IMAPS (implicit TLS) port; PROCS (comma-separated
process names, e.g. imap-login,imap) lets the memory row count the private
memory of that server's session processes. Every server must have the same
user (--user/--password) with an INBOX. Rows:

  login      TLS connect + LOGIN + LOGOUT per second (--conns in parallel)
  fetch-*    FETCH 1:* FLAGS / ENVELOPE / BODY.PEEK[] on a mailbox of
             --messages generated messages (the same bytes everywhere),
             messages per second, best of --repeat
  fetch-each 2,000 single-message FETCH (FLAGS) commands one after another
             (a client syncing a few messages): commands per second, where
             the per-command cost shows
  mixed-N    a mixed session workload with N clients: login, select,
             fetch flags and envelopes of the newest 50, read one body,
             set a flag, search, append one message, logout; sessions/s
  search-*   SEARCH BODY over the whole mailbox: a word ("invoice"), a
             substring inside it ("nvoic", RFC 3501 semantics) and a
             miss; searches per second, best of --repeat, hits checked
  mem        private memory per idle logged-in TLS connection (KiB):
             the growth of the PROCS processes' Private_Clean +
             Private_Dirty (smaps_rollup) for --idle idle sessions

Prints one table and the ratio of every other server to the first.
Python 3 stdlib only; talks only to what it is told to.
"""
import argparse
import hashlib
import os
import random
import re
import socket
import ssl
import sys
import threading
import time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


class Conn:
    """A minimal synchronous IMAP client (bytes, literals, tags)."""

    def __init__(self, host, port, timeout=60):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s = CTX.wrap_socket(raw)
        self.f = self.s.makefile("rb", buffering=1 << 16)
        self.n = 0
        self.f.readline()

    def send(self, data):
        self.s.sendall(data)

    def read_response(self, tag):
        """Untagged lines (literals joined) and the tagged line."""
        out = []
        while True:
            ln = self.f.readline()
            if not ln:
                raise ConnectionError("server closed")
            while True:
                m = re.search(rb"\{(\d+)\}\r\n$", ln)
                if not m:
                    break
                ln += self.f.read(int(m.group(1)))
                ln += self.f.readline()
            if ln.startswith(tag + b" "):
                if not ln.startswith(tag + b" OK"):
                    raise RuntimeError(ln[:200])
                return out, ln
            out.append(ln)

    def cmd(self, text):
        self.n += 1
        tag = b"t%d" % self.n
        if isinstance(text, str):
            text = text.encode()
        self.send(tag + b" " + text + b"\r\n")
        return self.read_response(tag)

    def append(self, mailbox, msg, flags=""):
        self.n += 1
        tag = b"t%d" % self.n
        self.send(tag + b" APPEND %s %s{%d}\r\n" % (mailbox.encode(),
                  flags.encode() + b" " if flags else b"", len(msg)))
        ln = self.f.readline()
        if not ln.startswith(b"+"):
            raise RuntimeError(ln)
        self.send(msg + b"\r\n")
        return self.read_response(tag)

    def login(self, user, pw):
        return self.cmd('LOGIN "%s" "%s"' % (user, pw))

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def gen_message(i, rnd):
    """A deterministic message: same bytes on every server."""
    words = ["alpha", "beta", "gamma", "delta", "mail", "report", "meeting",
             "server", "invoice", "weekly", "notes", "draft"]
    subj = " ".join(rnd.choice(words) for _ in range(4))
    body = "".join(" ".join(rnd.choice(words) for _ in range(12)) + "\r\n"
                   for _ in range(rnd.randint(5, 60)))
    return ("From: Sender %d <sender%d@example.org>\r\n"
            "To: bench@example.org\r\nSubject: %s %d\r\n"
            "Date: Mon, 01 Jan 2024 %02d:%02d:00 +0000\r\n"
            "Message-ID: <%d.bench@example.org>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n%s" %
            (i % 97, i % 97, subj, i, (i // 60) % 24, i % 60, i,
             body)).encode()


def populate(server, user, pw, mailbox, count):
    """Make mailbox hold exactly the count generated messages."""
    c = Conn(server.host, server.port)
    c.login(user, pw)
    try:
        c.cmd("CREATE %s" % mailbox)
    except RuntimeError:
        pass
    out, _ = c.cmd("STATUS %s (MESSAGES)" % mailbox)
    have = int(re.search(rb"MESSAGES (\d+)", b"".join(out)).group(1))
    if have != count:
        if have:
            c.cmd("DELETE %s" % mailbox)
            c.cmd("CREATE %s" % mailbox)
        rnd = random.Random(42)
        for i in range(count):
            c.append(mailbox, gen_message(i, rnd))
    c.cmd("LOGOUT")
    c.close()


def row_login(server, user, pw, seconds, conns):
    done = [0]
    stop = time.time() + seconds
    lock = threading.Lock()

    def worker():
        while time.time() < stop:
            c = Conn(server.host, server.port)
            c.login(user, pw)
            c.cmd("LOGOUT")
            c.close()
            with lock:
                done[0] += 1
    ts = [threading.Thread(target=worker) for _ in range(conns)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return done[0] / (time.time() - t0)


def row_fetch(server, user, pw, mailbox, what, repeat):
    c = Conn(server.host, server.port)
    c.login(user, pw)
    out, _ = c.cmd("EXAMINE %s" % mailbox)
    n = int(re.search(rb"\* (\d+) EXISTS", b"".join(out)).group(1))
    best = None
    for _ in range(repeat):
        t0 = time.time()
        out, _ = c.cmd("FETCH 1:* (%s)" % what)
        dt = time.time() - t0
        assert len(out) >= n, (len(out), n)
        best = dt if best is None else min(best, dt)
    c.cmd("LOGOUT")
    c.close()
    return n / best


def row_fetch_each(server, user, pw, mailbox, count, repeat):
    """count single-message FETCH FLAGS commands, one after another, as a
    client syncing a few messages does: commands per second (best of
    repeat). Here the per-command cost (store round trips) shows, which a
    FETCH 1:* hides behind its thousands of messages."""
    c = Conn(server.host, server.port)
    c.login(user, pw)
    out, _ = c.cmd("EXAMINE %s" % mailbox)
    n = int(re.search(rb"\* (\d+) EXISTS", b"".join(out)).group(1))
    rnd = random.Random(7)
    seqs = [rnd.randint(1, n) for _ in range(count)]
    best = None
    for _ in range(repeat):
        t0 = time.time()
        for q in seqs:
            out, _ = c.cmd("FETCH %d (FLAGS)" % q)
            assert out and b"FETCH" in out[0], out
        dt = time.time() - t0
        best = dt if best is None else min(best, dt)
    c.cmd("LOGOUT")
    c.close()
    return count / best


def row_search(server, user, pw, mailbox, needle, repeat):
    """SEARCH BODY needle over the whole mailbox, searches per second (best
    of repeat). The hits are checked against the generated bytes."""
    rnd = random.Random(42)
    c = Conn(server.host, server.port)
    c.login(user, pw)
    out, _ = c.cmd("EXAMINE %s" % mailbox)
    n = int(re.search(rb"\* (\d+) EXISTS", b"".join(out)).group(1))
    want = sum(1 for i in range(n) if needle.encode() in
               gen_message(i, rnd).split(b"\r\n\r\n", 1)[1])
    best = None
    for _ in range(repeat):
        t0 = time.time()
        out, _ = c.cmd('SEARCH BODY "%s"' % needle)
        dt = time.time() - t0
        got = sum(len(ln.split()) - 2 for ln in out
                  if ln.startswith(b"* SEARCH"))
        if got != want:
            raise SystemExit("%s: SEARCH BODY %s found %d of %d" % (
                server.name, needle, got, want))
        best = dt if best is None else min(best, dt)
    c.cmd("LOGOUT")
    c.close()
    return 1 / best


def row_mixed(server, user, pw, mailbox, clients, seconds):
    done = [0]
    stop = time.time() + seconds
    lock = threading.Lock()

    def worker(k):
        rnd = random.Random(k)
        while time.time() < stop:
            c = Conn(server.host, server.port)
            c.login(user, pw)
            out, _ = c.cmd("SELECT %s" % mailbox)
            n = int(re.search(rb"\* (\d+) EXISTS", b"".join(out)).group(1))
            lo = max(1, n - 49)
            c.cmd("FETCH %d:* (FLAGS ENVELOPE RFC822.SIZE)" % lo)
            c.cmd("FETCH %d BODY.PEEK[]" % rnd.randint(1, n))
            c.cmd("STORE %d +FLAGS (\\Flagged)" % rnd.randint(1, n))
            c.cmd("SEARCH SUBJECT report FLAGGED")
            c.append(mailbox, gen_message(rnd.randint(0, 10 ** 6), rnd))
            c.cmd("LOGOUT")
            c.close()
            with lock:
                done[0] += 1
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return done[0] / (time.time() - t0)


def private_kib(names):
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().strip() not in names:
                    continue
            with open("/proc/%s/smaps_rollup" % d) as f:
                for ln in f:
                    if ln.startswith(("Private_Clean:", "Private_Dirty:")):
                        total += int(ln.split()[1])
        except OSError:
            continue
    return total


def pids_of(names):
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().strip() in names:
                        out.add(d)
            except OSError:
                pass
    return out


def settle(names, quiet=2.0, limit=30.0):
    """Wait until the server's process set stops changing (sessions of
    earlier rows exiting, spares being made)."""
    end = time.time() + limit
    last, since = pids_of(names), time.time()
    while time.time() < end:
        time.sleep(0.2)
        now = pids_of(names)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet:
            return


def row_mem(server, user, pw, idle):
    if not server.procs:
        return None
    settle(server.procs)
    before = private_kib(server.procs)
    conns = []
    for _ in range(idle):
        c = Conn(server.host, server.port)
        c.login(user, pw)
        c.cmd("SELECT INBOX")
        conns.append(c)
    settle(server.procs)
    after = private_kib(server.procs)
    for c in conns:
        try:
            c.cmd("LOGOUT")
        except Exception:
            pass
        c.close()
    return (after - before) / idle


class Server:
    def __init__(self, spec):
        name, rest = spec.split("=", 1)
        parts = rest.split(":")
        self.name, self.host, self.port = name, parts[0], int(parts[1])
        # comm names are at most 15 characters
        self.procs = set(p[:15] for p in parts[2].split(",")) \
            if len(parts) > 2 and parts[2] else set()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("servers", nargs="+", help="NAME=HOST:PORT[:PROCS]")
    ap.add_argument("--user", default="bench")
    ap.add_argument("--password", default="bench-pass-1")
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--mailbox", default="bench10k")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--idle", type=int, default=50)
    ap.add_argument("--rows", default="login,fetch-flags,fetch-envelope,"
                    "fetch-body,mixed-10,mixed-50,mem")
    a = ap.parse_args(argv)
    servers = [Server(s) for s in a.servers]
    rows = a.rows.split(",")
    if any(r.startswith(("fetch", "mixed", "search")) for r in rows):
        for s in servers:
            print("populating %s: %d messages in %s ..." % (s.name, a.messages,
                                                            a.mailbox), flush=True)
            populate(s, a.user, a.password, a.mailbox, a.messages)
    results = {}
    for r in rows:
        for s in servers:
            if r == "login":
                v = row_login(s, a.user, a.password, a.seconds, a.conns)
            elif r == "fetch-each":
                v = row_fetch_each(s, a.user, a.password, a.mailbox, 2000,
                                   a.repeat)
            elif r.startswith("fetch-"):
                what = {"flags": "FLAGS", "envelope": "ENVELOPE",
                        "body": "BODY.PEEK[]"}[r[6:]]
                v = row_fetch(s, a.user, a.password, a.mailbox, what, a.repeat)
            elif r.startswith("search-"):
                needle = {"word": "invoice", "substring": "nvoic",
                          "miss": "zqx"}[r[7:]]
                v = row_search(s, a.user, a.password, a.mailbox, needle,
                               a.repeat)
            elif r.startswith("mixed-"):
                v = row_mixed(s, a.user, a.password, a.mailbox, int(r[6:]),
                              a.seconds)
            elif r == "mem":
                v = row_mem(s, a.user, a.password, a.idle)
            else:
                raise SystemExit("unknown row " + r)
            results[(r, s.name)] = v
            print("  %-16s %-10s %s" % (r, s.name, "n/a" if v is None else
                                        "%.1f" % v), flush=True)
    units = {"login": "logins/s", "mem": "KiB/session",
             "search-word": "searches/s", "search-substring": "searches/s",
             "search-miss": "searches/s", "fetch-each": "commands/s"}
    print()
    head = "%-16s %-12s" % ("row", "unit") + "".join(
        "%14s" % s.name for s in servers) + "".join(
        "%18s" % ("%s/%s" % (s.name, servers[0].name)) for s in servers[1:])
    print(head)
    for r in rows:
        unit = units.get(r, "msgs/s" if r.startswith("fetch") else "sessions/s")
        vals = [results[(r, s.name)] for s in servers]
        line = "%-16s %-12s" % (r, unit) + "".join(
            "%14s" % ("n/a" if v is None else "%.1f" % v) for v in vals)
        for v in vals[1:]:
            line += "%18s" % ("n/a" if v is None or not vals[0] else
                              "%.2f" % (v / vals[0]))
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
