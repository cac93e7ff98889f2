#!/usr/bin/env python3
"""bodybench: UID FETCH 1:* BODY.PEEK[] of a large mailbox, side by side.

    bodybench.py [options] NAME=HOST:PLAINPORT:TLSPORT ...

--items body,flags,envelope,search-miss times those commands in turn
(default: body): UID FETCH 1:* BODY.PEEK[] / FLAGS / ENVELOPE and UID
SEARCH TEXT of a word no message has. --imaplib also times each command
through Python's imaplib on the same connection kind, for comparison with
the raw timer (imaplib's parsing, not the server, dominates its figure).

Every server gets the same generated messages (--messages, sizes spread
over 0.6-13 KiB, 4.3 KiB on average, appended with LITERAL+ in one pipelined stream) in
--mailbox, then one connection per server and transport sends the FETCH
--repeat times; the timer is a raw socket that starts before the command
is sent and stops when the tagged reply has arrived (the bytes are parsed
afterwards, outside the timed part, and checked: every body present,
byte-exact against the generated ones). The floor is a plain sender on
loopback that writes the same response bytes in one sendall (plaintext)
or through Python's TLS (TLS): what the machine's copy and the client's
reading cost, with no server work at all. Servers are measured in turns
(cloister, peers, floor, again), so all rows come from the same minutes.
Prints milliseconds (best and median) and MB/s per server and transport,
and ratios to the first server. Python 3 stdlib only.
"""
import argparse
import random
import re
import socket
import ssl
import statistics
import sys
import threading
import time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
TAG = b"b1"
COMMANDS = {"body": "UID FETCH 1:* BODY.PEEK[]",
            "flags": "UID FETCH 1:* FLAGS",
            "envelope": "UID FETCH 1:* ENVELOPE",
            "search-miss": 'UID SEARCH TEXT "zqxjvw"'}


def gen_message(i, rnd):
    """A deterministic message of 0.6-13 KiB: the same bytes on every server."""
    words = ["alpha", "beta", "gamma", "delta", "mail", "report", "meeting",
             "server", "invoice", "weekly", "notes", "draft"]
    lines = rnd.choice((6, 12, 24, 48, 80, 180))
    body = "".join(" ".join(rnd.choice(words) for _ in range(11)) + "\r\n"
                   for _ in range(lines))
    return ("From: Sender %d <sender%d@example.org>\r\n"
            "To: bench@example.org\r\nSubject: body %d\r\n"
            "Date: Mon, 01 Jan 2024 %02d:%02d:00 +0000\r\n"
            "Message-ID: <%d.body@example.org>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n%s" %
            (i % 97, i % 97, i, (i // 60) % 24, i % 60, i, body)).encode()


def connect(host, port, tls, timeout=120):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls:
        s = CTX.wrap_socket(s)
    return s


class Session:
    """Just enough IMAP: commands whose replies carry no literals."""

    def __init__(self, host, port, tls):
        self.s = connect(host, port, tls)
        self.buf = b""
        self.n = 0
        self.until(b"\r\n")

    def until(self, end):
        while end not in self.buf:
            d = self.s.recv(1 << 20)
            if not d:
                raise ConnectionError("server closed")
            self.buf += d
        i = self.buf.index(end) + len(end)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def cmd(self, text, ok=True):
        self.n += 1
        tag = b"c%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        out = b""
        while True:
            ln = self.until(b"\r\n")
            out += ln
            if ln.startswith(tag + b" "):
                break
        if ok and not ln.startswith(tag + b" OK"):
            raise RuntimeError(out[-300:])
        return out

    def close(self):
        self.s.close()


def populate(host, port, user, pw, mailbox, msgs):
    c = Session(host, port, False)
    c.cmd('LOGIN "%s" "%s"' % (user, pw))
    c.cmd("CREATE %s" % mailbox, ok=False)
    out = c.cmd("STATUS %s (MESSAGES)" % mailbox)
    have = int(re.search(rb"MESSAGES (\d+)", out).group(1))
    if have != len(msgs):
        if have:
            c.cmd("DELETE %s" % mailbox)
            c.cmd("CREATE %s" % mailbox)
        for k in range(0, len(msgs), 500):
            part = msgs[k:k + 500]
            data = b"".join(b"a%d APPEND %s {%d+}\r\n%s\r\n" % (
                k + i, mailbox.encode(), len(m), m) for i, m in enumerate(part))
            c.s.sendall(data)
            c.until(b"\r\na%d " % (k + len(part) - 1))
            c.until(b"\r\n")
    c.cmd("LOGOUT", ok=False)
    c.close()


BUFS = {}


def recv_buffer(cap):
    """One buffer per size, its pages touched once: no page faults inside
    the timed part."""
    if cap not in BUFS:
        buf = bytearray(cap)
        buf[::4096] = b"\1" * len(range(0, cap, 4096))
        BUFS[cap] = buf
    return BUFS[cap]


def timed_fetch(s, cap, command):
    """Send the command, read until the tagged line: (seconds, bytes)."""
    buf = recv_buffer(cap)
    view = memoryview(buf)
    got = 0
    end = b"\r\n" + TAG + b" "
    t0 = time.perf_counter()
    s.sendall(TAG + b" " + command.encode() + b"\r\n")
    while True:
        n = s.recv_into(view[got:], min(cap - got, 1 << 20))
        if n == 0:
            raise ConnectionError("closed during FETCH")
        got += n
        if buf[got - 2:got] == b"\r\n":
            tail = bytes(buf[max(0, got - 300):got])
            i = tail.rfind(end)
            if i >= 0 and tail.find(b"\r\n", i + 2) == len(tail) - 2:
                break
    dt = time.perf_counter() - t0
    return dt, bytes(buf[:got])


def check_other(item, resp, msgs):
    """FLAGS/ENVELOPE: one FETCH per message; a missed SEARCH: no hits."""
    assert resp[resp.rfind(b"\r\n", 0, len(resp) - 2) + 2:].startswith(
        TAG + b" OK"), resp[-200:]
    if item == "search-miss":
        hits = re.search(rb"\* SEARCH([ 0-9]*)\r\n", resp)
        assert hits and not hits.group(1).strip(), resp[:200]
        return
    n = len(re.findall(rb"(?:^|\r\n)\* \d+ FETCH ", resp))
    assert n == len(msgs), (item, n, len(msgs))


def check(resp, msgs):
    """Every body, byte-exact, in UID order; the reply ends with OK."""
    bodies = []
    pos = 0
    lit = re.compile(rb"BODY\[\] \{(\d+)\}\r\n")
    while True:
        m = lit.search(resp, pos)
        if not m:
            break
        n = int(m.group(1))
        bodies.append(resp[m.end():m.end() + n])
        pos = m.end() + n
    assert resp[resp.rfind(b"\r\n", 0, len(resp) - 2) + 2:].startswith(
        TAG + b" OK"), resp[-200:]
    assert len(bodies) == len(msgs), (len(bodies), len(msgs))
    assert bodies == msgs, "a body differs"


class Floor:
    """Writes the given bytes to each connection after one command line."""

    def __init__(self, data, tls, cert):
        self.data, self.tls = data, tls
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.port = self.ls.getsockname()[1]
        self.sctx = None
        if tls:
            self.sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.sctx.load_cert_chain(*cert)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            c, _ = self.ls.accept()
            if self.sctx:
                c = self.sctx.wrap_socket(c, server_side=True)
            c.sendall(b"* OK floor\r\n")
            lines = c.makefile("rb")
            while lines.readline():      # one command line, one response
                c.sendall(self.data)
            c.close()


def measure(target, tls, user, pw, mailbox, msgs, cap, item="body"):
    s = Session(target.host, target.tlsport if tls else target.port, tls)
    if user is not None:
        s.cmd('LOGIN "%s" "%s"' % (user, pw))
        s.cmd("EXAMINE %s" % mailbox)
    dt, resp = timed_fetch(s.s, cap, COMMANDS[item])
    if msgs is not None:
        if item == "body":
            check(resp, msgs)
        else:
            check_other(item, resp, msgs)
    s.close()
    return dt, resp


def measure_imaplib(target, tls, user, pw, mailbox, item):
    """The same command through imaplib: what a Python client waits."""
    import imaplib
    port = target.tlsport if tls else target.port
    c = (imaplib.IMAP4_SSL(target.host, port, ssl_context=CTX) if tls
         else imaplib.IMAP4(target.host, port))
    c.login(user, pw)
    c.select(mailbox, readonly=True)
    words = COMMANDS[item].split(" ", 3)      # UID, verb, args...
    t0 = time.perf_counter()
    if words[1] == "FETCH":
        typ, _ = c.uid("FETCH", words[2], "(%s)" % words[3])
    else:
        typ, _ = c.uid("SEARCH", *words[2:])
    dt = time.perf_counter() - t0
    assert typ == "OK", typ
    c.logout()
    return dt


class Target:
    def __init__(self, spec):
        self.name, rest = spec.split("=", 1)
        parts = rest.split(":")
        self.host, self.port = parts[0], int(parts[1])
        self.tlsport = int(parts[2]) if len(parts) > 2 else None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="+", help="NAME=HOST:PLAIN:TLS")
    for opt, default in (("--user", "bench"), ("--password", "bench-pass-1"),
                         ("--mailbox", "body56"), ("--messages", 13000),
                         ("--repeat", 7)):
        ap.add_argument(opt, default=default, type=type(default))
    ap.add_argument("--transports", default="plain,tls")
    ap.add_argument("--items", default="body",
                    help="comma-separated: " + ",".join(COMMANDS))
    ap.add_argument("--imaplib", action="store_true",
                    help="also time each command through imaplib")
    ap.add_argument("--cert", nargs=2, metavar=("CRT", "KEY"),
                    help="certificate for the TLS floor")
    a = ap.parse_args(argv)
    rnd = random.Random(7)
    msgs = [gen_message(i, rnd) for i in range(a.messages)]
    total = sum(len(m) for m in msgs)
    print("%d messages, %.1f MB" % (len(msgs), total / 1e6), flush=True)
    targets = [Target(t) for t in a.targets]
    for t in targets:
        print("populating %s ..." % t.name, flush=True)
        populate(t.host, t.port, a.user, a.password, a.mailbox, msgs)
    cap = total * 2 + (1 << 24)
    results = {}
    items = a.items.split(",")
    for item in items:
        if item not in COMMANDS:
            raise SystemExit("unknown item %s (have %s)" % (
                item, ",".join(COMMANDS)))
    for item in items:
        for tr in a.transports.split(","):
            tls = tr == "tls"
            _, sample = measure(targets[0], tls, a.user, a.password,
                                a.mailbox, msgs, cap, item)
            floor = Floor(sample[:], tls, a.cert) if not tls or a.cert \
                else None
            if floor is not None:
                ft = Target("floor=127.0.0.1:%d:%d" % (floor.port, floor.port))
            for _ in range(a.repeat):
                for t in targets:
                    dt, _ = measure(t, tls, a.user, a.password, a.mailbox,
                                    msgs, cap, item)
                    results.setdefault((item, tr, t.name), []).append(dt)
                if floor is not None:
                    dt, _ = measure(ft, tls, None, None, None, None, cap,
                                    item)
                    results.setdefault((item, tr, "floor"), []).append(dt)
            if a.imaplib:
                for t in targets:
                    results[(item, tr, t.name, "imaplib")] = min(
                        measure_imaplib(t, tls, a.user, a.password,
                                        a.mailbox, item)
                        for _ in range(max(1, a.repeat // 2)))
    names = [t.name for t in targets] + ["floor"]
    print("\n%-12s %-6s %-10s %10s %10s %10s %12s%s" % (
        "item", "trans", "server", "best ms", "median ms", "MB/s",
        "vs " + names[0], " %12s" % "imaplib ms" if a.imaplib else ""))
    for item in items:
        for tr in a.transports.split(","):
            first = min(results[(item, tr, names[0])])
            for n in names:
                if (item, tr, n) not in results:
                    continue
                v = results[(item, tr, n)]
                lib = results.get((item, tr, n, "imaplib"))
                print("%-12s %-6s %-10s %10.1f %10.1f %10.1f %11.2fx%s" % (
                    item, tr, n, min(v) * 1e3, statistics.median(v) * 1e3,
                    total / min(v) / 1e6 if item == "body" else 0,
                    min(v) / first,
                    " %12.1f" % (lib * 1e3) if lib is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
