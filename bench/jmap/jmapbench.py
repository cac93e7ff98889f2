#!/usr/bin/env python3
"""jmapbench: the same JMAP workloads against several servers, side by side.

    jmapbench.py [options] NAME=URL,IMAPHOST:IMAPSPORT[,PROC...] ...

URL is the server's JMAP origin over plain HTTP on loopback
(http://127.0.0.1:8480); the Session is found through /.well-known/jmap.
IMAPHOST:IMAPSPORT is the same server's IMAPS port: the mailbox is filled
over IMAP (--messages generated messages, the bytes imapbench.py makes,
into --mailbox) and the push row changes flags over IMAP. PROC names the
server's session processes (comm names) for the memory row. Every server
must have the same user (--user/--password). Rows:

  query-get   Email/query (the mailbox, newest first, 50 from a random
              position) + Email/get of those 50 by result reference (the
              properties of a message list: from, subject, receivedAt,
              keywords, size, preview, ...): requests per second over
              --conns keep-alive connections, one client process each
  mailbox-get Mailbox/get of every mailbox: requests per second, as above
  set-keyword Email/set of a keyword on 1,000 messages (in chunks of the
              server's maxObjectsInSet), seconds, best of --repeat
  push        an IMAP STORE on another connection to the state event on an
              open event stream (Authorization header, plain HTTP): p50 and
              p99 of --pushes, ms
  mem         private memory (Private_Clean + Private_Dirty) and Pss per
              idle connection, KiB: the growth of the PROC processes'
              smaps_rollup for --idle connections, once for keep-alive
              connections that fetched the Session (mem-conn), once for
              open event streams (mem-stream)
  floor       (with --floor) the client against a trivial local HTTP/1.1
              server that answers every POST with a fixed body: what the
              client can do at most on this machine

Prints one table and the ratio of every other server to the first.
Python 3 stdlib only; talks only to what it is told to.
"""
import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "imap"))
from imapbench import Conn, pids_of, populate, settle  # noqa: E402

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]
LIST_PROPS = ["threadId", "mailboxIds", "keywords", "from", "to", "subject",
              "receivedAt", "size", "preview", "hasAttachment"]


class Target:
    def __init__(self, spec, user, pw):
        self.name, rest = spec.split("=", 1)
        parts = rest.split(",")
        u = urllib.parse.urlsplit(parts[0])
        assert u.scheme == "http", "plain HTTP on loopback only: " + parts[0]
        self.host, self.port = u.hostname, u.port or 80
        ih, _, ip = parts[1].rpartition(":")
        self.imap_host, self.imap_port = ih, int(ip)
        self.procs = set(p[:15] for p in parts[2:])
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (user, pw)).encode()).decode()

    def conn(self):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    def get(self, c, path, headers=None):
        c.request("GET", path, headers={"Authorization": self.auth,
                                        **(headers or {})})
        r = c.getresponse()
        return r, r.read()

    def discover(self, mailbox):
        """The Session (URL paths, account, limits) and the mailbox's id."""
        c = self.conn()
        path = "/.well-known/jmap"
        for _ in range(5):
            r, body = self.get(c, path)
            if r.status not in (301, 302, 307, 308):
                break
            path = urllib.parse.urlsplit(r.getheader("Location")).path
        assert r.status == 200, (self.name, r.status, body[:200])
        self.session = path
        s = json.loads(body)
        self.api = urllib.parse.urlsplit(s["apiUrl"]).path
        self.events = urllib.parse.urlsplit(s["eventSourceUrl"])
        self.acct = s["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        core = s["capabilities"]["urn:ietf:params:jmap:core"]
        self.max_set = min(core.get("maxObjectsInSet") or 500, 500)
        boxes = call(self, c, [["Mailbox/get", {"accountId": self.acct,
                                                "properties": ["name"]}, "m"]])
        ids = [b["id"] for b in boxes[0][1]["list"] if b["name"] == mailbox]
        assert ids, "%s: no mailbox %s" % (self.name, mailbox)
        self.mbox = ids[0]
        c.close()

    def event_path(self, closeafter="no", ping="0"):
        q = self.events.query.replace("{types}", "*").replace(
            "{closeafter}", closeafter).replace("{ping}", ping)
        return self.events.path + "?" + q


def call(t, c, calls):
    body = json.dumps({"using": USING, "methodCalls": calls})
    c.request("POST", t.api, body=body,
              headers={"Authorization": t.auth,
                       "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError("%s: %d %s" % (t.name, r.status, data[:200]))
    out = json.loads(data)["methodResponses"]
    for name, args, _ in out:
        if name == "error":
            raise RuntimeError("%s: %s" % (t.name, args))
    return out


# ---- throughput: one keep-alive connection per client process --------------

def query_get(t, count, rnd):
    pos = rnd.randrange(max(1, count - 50))
    return [["Email/query", {"accountId": t.acct,
                             "filter": {"inMailbox": t.mbox},
                             "sort": [{"property": "receivedAt",
                                       "isAscending": False}],
                             "position": pos, "limit": 50}, "q"],
            ["Email/get", {"accountId": t.acct,
                           "#ids": {"resultOf": "q", "name": "Email/query",
                                    "path": "/ids"},
                           "properties": LIST_PROPS}, "g"]]


def mailbox_get(t, count, rnd):
    return [["Mailbox/get", {"accountId": t.acct}, "m"]]


def client_loop(t, make, count, seconds, seed, out):
    rnd = random.Random(seed)
    c = t.conn()
    n = 0
    end = time.time() + seconds
    while time.time() < end:
        res = call(t, c, make(t, count, rnd))
        if make is query_get:
            assert len(res[1][1]["list"]) == 50, res[1][1]
        n += 1
    c.close()
    out.put(n)


def rate(t, make, count, seconds, conns):
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=client_loop,
                                  args=(t, make, count, seconds, i, q))
          for i in range(conns)]
    t0 = time.time()
    for p in ps:
        p.start()
    total = sum(q.get(timeout=seconds + 120) for _ in ps)
    for p in ps:
        p.join(30)
        if p.exitcode != 0:
            raise RuntimeError("%s: a client process failed" % t.name)
    return total / (time.time() - t0)


# ---- Email/set of a keyword -------------------------------------------------

def set_keyword(t, count, repeat):
    c = t.conn()
    ids = call(t, c, [["Email/query", {"accountId": t.acct,
                                       "filter": {"inMailbox": t.mbox},
                                       "sort": [{"property": "receivedAt",
                                                 "isAscending": True}],
                                       "limit": 1000}, "q"]])[0][1]["ids"]
    assert len(ids) == min(1000, count), len(ids)
    best = None
    for _ in range(repeat):
        took = 0.0
        for value in (True, None):   # set (timed), then take it off again
            t0 = time.time()
            for i in range(0, len(ids), t.max_set):
                chunk = ids[i:i + t.max_set]
                res = call(t, c, [["Email/set", {
                    "accountId": t.acct,
                    "update": {e: {"keywords/$bench": value} for e in chunk}},
                    "s"]])
                assert len(res[0][1].get("updated") or {}) == len(chunk), res
            if value:
                took = time.time() - t0
        best = took if best is None else min(best, took)
    c.close()
    return best


# ---- event streams ----------------------------------------------------------

class NoStream(RuntimeError):
    """The server answers the event source URL, but with no stream."""


class Stream:
    """An open event stream on a raw socket, read event by event."""

    def __init__(self, t):
        self.s = socket.create_connection((t.host, t.port), timeout=30)
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s"
                        "\r\nAccept: text/event-stream\r\n\r\n" % (
                            t.event_path(), t.host, t.port, t.auth)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise RuntimeError("%s: EOF before the stream's head" % t.name)
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            self.s.close()
            raise NoStream("%s: %s" % (t.name, head.split(b"\r\n")[0].decode()))
        self.chunked = b"transfer-encoding: chunked" in head.lower()

    def next_event(self, timeout):
        """The next event's name. Chunk-size lines (Cyrus sends the stream
        chunked) are skipped: an event is text between blank lines with an
        `event:` field."""
        self.s.settimeout(timeout)
        while True:
            while b"\n\n" not in self.buf.replace(b"\r\n", b"\n"):
                d = self.s.recv(65536)
                if not d:
                    raise RuntimeError("stream closed")
                self.buf += d
            norm = self.buf.replace(b"\r\n", b"\n")
            ev, _, rest = norm.partition(b"\n\n")
            self.buf = rest
            for line in ev.split(b"\n"):
                if line.startswith(b"event:"):
                    return line[6:].strip().decode()

    def close(self):
        self.s.close()


def push(t, user, pw, mailbox, n):
    imap = Conn(t.imap_host, t.imap_port)
    imap.login(user, pw)
    imap.cmd("SELECT %s" % mailbox)
    st = Stream(t)
    time.sleep(0.5)   # the stream's watch is in place
    lags = []
    for i in range(n):
        flag = "+FLAGS" if i % 2 == 0 else "-FLAGS"
        t0 = time.time()
        imap.cmd("STORE %d %s (\\Flagged)" % (1 + i // 2 % 100, flag))
        while st.next_event(30) != "state":
            pass
        lags.append((time.time() - t0) * 1000)
        time.sleep(0.05)
    st.close()
    imap.cmd("LOGOUT")
    imap.close()
    lags.sort()
    return statistics.median(lags), lags[min(len(lags) - 1,
                                             int(len(lags) * 0.99))]


def memory_kib(names):
    """(Private_Clean + Private_Dirty, Pss) of every process named so."""
    fields = {"Private_Clean": 0, "Private_Dirty": 0, "Pss": 0}
    for pid in pids_of(names):
        try:
            with open("/proc/%s/smaps_rollup" % pid) as f:
                rollup = [ln.split() for ln in f]
        except OSError:
            continue   # gone meanwhile
        for kv in rollup:
            if kv[0].rstrip(":") in fields:
                fields[kv[0].rstrip(":")] += int(kv[1])
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Pss"]


def session_conn(t):
    """A keep-alive connection that has fetched the Session: logged in."""
    c = t.conn()
    r, body = t.get(c, t.session)
    assert r.status == 200, (t.name, r.status)
    return c


def memory(t, idle, open_one):
    """(private, Pss) KiB per idle connection that open_one makes."""
    settle(t.procs)
    p0, s0 = memory_kib(t.procs)
    conns = [open_one(t) for _ in range(idle)]
    settle(t.procs)
    p1, s1 = memory_kib(t.procs)
    for c in conns:
        c.close()
    return (p1 - p0) / idle, (s1 - s0) / idle


# ---- the floor: the client against a trivial server -------------------------

def floor_server(port_out):
    import http.server

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'{"methodResponses":[["Core/echo",{},"m"]]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    port_out.put(srv.server_address[1])
    srv.serve_forever()


def floor(user, pw, seconds, conns):
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=floor_server, args=(q,), daemon=True)
    p.start()
    try:
        t = Target("floor=http://127.0.0.1:%d,127.0.0.1:1" % q.get(timeout=10),
                   user, pw)
        t.api, t.acct, t.mbox = "/", "A", "M"
        return rate(t, mailbox_get, 0, seconds, conns)
    finally:
        p.terminate()
        p.join(10)


# ---- the table --------------------------------------------------------------

ROWS = [("query-get", "req/s", "higher"), ("mailbox-get", "req/s", "higher"),
        ("set-keyword", "s", "lower"), ("push-p50", "ms", "lower"),
        ("push-p99", "ms", "lower"),
        ("mem-conn-private", "KiB", "lower"), ("mem-conn-pss", "KiB", "lower"),
        ("mem-stream-private", "KiB", "lower"),
        ("mem-stream-pss", "KiB", "lower")]


def measure(t, a, rows):
    got = {}
    imap = argparse.Namespace(host=t.imap_host, port=t.imap_port)
    t0 = time.time()
    populate(imap, a.user, a.password, a.mailbox, a.messages)
    print("# %s: %s holds %d messages (%.0f s)" % (
        t.name, a.mailbox, a.messages, time.time() - t0), flush=True)
    t.discover(a.mailbox)
    if "query-get" in rows:
        got["query-get"] = rate(t, query_get, a.messages, a.seconds, a.conns)
    if "mailbox-get" in rows:
        got["mailbox-get"] = rate(t, mailbox_get, a.messages, a.seconds,
                                  a.conns)
    if "set-keyword" in rows:
        got["set-keyword"] = set_keyword(t, a.messages, a.repeat)
    if "push" in rows:
        try:
            got["push-p50"], got["push-p99"] = push(t, a.user, a.password,
                                                    a.mailbox, a.pushes)
        except NoStream as e:
            print("# %s: no event stream (%s)" % (t.name, e), flush=True)
    if "mem" in rows and t.procs:
        got["mem-conn-private"], got["mem-conn-pss"] = memory(
            t, a.idle, session_conn)
        try:
            got["mem-stream-private"], got["mem-stream-pss"] = memory(
                t, a.idle, Stream)
        except NoStream as e:
            print("# %s: no event stream (%s)" % (t.name, e), flush=True)
    print("# %s: %s" % (t.name, ", ".join(
        "%s %.1f" % kv for kv in got.items())), flush=True)
    return got


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("servers", nargs="+",
                    help="NAME=URL,IMAPHOST:IMAPSPORT[,PROC...]")
    ap.add_argument("--user", default="bench")
    ap.add_argument("--password", default="bench-pass-1")
    ap.add_argument("--mailbox", default="jbench")
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pushes", type=int, default=100)
    ap.add_argument("--idle", type=int, default=20)
    ap.add_argument("--rows", default="query-get,mailbox-get,set-keyword,"
                    "push,mem")
    ap.add_argument("--floor", action="store_true")
    a = ap.parse_args(argv)
    rows = set(a.rows.split(","))
    targets = [Target(s, a.user, a.password) for s in a.servers]
    results = [measure(t, a, rows) for t in targets]
    names = [t.name for t in targets]
    print("| row | unit | better | %s | %s |" % (" | ".join(names), " | ".join(
        "%s/%s" % (names[0], n) for n in names[1:])))
    print("|---|---|---|%s" % ("---|" * (2 * len(names) - 1)))
    for row, unit, better in ROWS:
        vals = [r.get(row) for r in results]
        if all(v is None for v in vals):
            continue
        ratios = ["n/a" if vals[0] is None or not v else
                  "%.2f×" % (vals[0] / v) for v in vals[1:]]
        print("| %s | %s | %s | %s | %s |" % (row, unit, better, " | ".join(
            "n/a" if v is None else "{:,.2f}".format(v) for v in vals),
            " | ".join(ratios)))
    if a.floor:
        print("floor: the client against a trivial HTTP/1.1 server, %d "
              "connections: %.0f req/s" % (a.conns, floor(
                  a.user, a.password, a.seconds, a.conns)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
