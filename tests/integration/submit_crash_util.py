"""The scheduled-send crash scenario, shared by test_submit_crash and the
bench (bench/jmap/submission.py --crash): N JMAP EmailSubmissions (Email/set
and EmailSubmission/set through jmapd, as a client sends them) all held
until the same second a few seconds ahead (HOLDUNTIL), an SMTP sink on
loopback as the relay that times each message's end of data and keeps its
Message-ID, and, while they are due, kill -9 of submitd and of stored at
random moments (cloisterd restarts them). run() says what happened: every
arrival's lateness, Message-IDs that came twice, arrivals before their
time, and each submission's end as JMAP reports it (sent, unknown: "may
or may not have been sent", failed, or not final)."""
import http.client
import os
import random
import signal
import socket
import ssl
import time

from submit_util import Sink
from test_jmap_submission import Client, server

BATCH = 25      # submissions per JMAP request
GET_MAX = 200   # ids per EmailSubmission/get (below maxObjectsInGet)


class TimedSink(Sink):
    """The sink with every accepted message's arrival (time, Message-ID)
    recorded as its data ends, before the reply; TCP_NODELAY so that a
    multi-line reply is not held back by Nagle (a cost of the sink)."""

    def __init__(self):
        self.arrivals = []
        Sink.__init__(self)
        sink = self

        class Got(list):
            def append(self, item):
                mid = b""
                for line in item[2].split(b"\r\n"):
                    if line.lower().startswith(b"message-id:"):
                        mid = line[11:].strip()
                        break
                sink.arrivals.append((time.time(), mid.decode("latin-1")))
                list.append(self, item)
        self.got = Got()

    def get_request(self):
        conn, addr = Sink.get_request(self)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def submit_all(c, n, at, run):
    """n drafts and their submissions held until at: {submission id:
    Message-ID}."""
    out = {}
    for first in range(0, n, BATCH):
        emails, subs = {}, {}
        for i in range(first, min(n, first + BATCH)):
            mid = "crash-%s-%d@cloister.test" % (run, i)
            emails["d%d" % i] = {
                "mailboxIds": {c.box["drafts"]: True},
                "keywords": {"$draft": True}, "messageId": [mid],
                "from": [{"email": "alice@example.net"}],
                "to": [{"email": "bob@example.org"}], "subject": "crash %d" % i,
                "bodyStructure": {"type": "text/plain", "partId": "1"},
                "bodyValues": {"1": {"value": "scheduled\r\n"}}}
            subs["s%d" % i] = {"identityId": "I0", "emailId": "#d%d" % i,
                               "envelope": {
                                   "mailFrom": {"email": "alice@example.net",
                                                "parameters": {"HOLDUNTIL": utc(at)}},
                                   "rcptTo": [{"email": "bob@example.org"}]}}
        got = c.calls([["Email/set", {"accountId": c.acct, "create": emails}, "e"],
                       ["EmailSubmission/set", {"accountId": c.acct,
                                                "create": subs}, "s"]])
        created = got[1][1].get("created") or {}
        assert len(created) == len(subs), got[1][1]
        for key, v in created.items():
            out[v["id"]] = "<crash-%s-%s@cloister.test>" % (run, key[1:])
    return out


def kill_one(srv, name, log):
    """kill -9 of the running process of service name (waiting up to a
    second for one while cloisterd restarts it): its pid, or None."""
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        kids = srv.srv.children(name)
        if kids:
            try:
                os.kill(kids[0].pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            log("# kill -9 %s pid %d at %.3f" % (name, kids[0].pid, time.time()))
            return kids[0].pid
        time.sleep(0.01)
    return None


_client = {}


def ends(srv, sids):
    """{submission id: "sent" | "unknown" | "failed" | "pending"} as
    EmailSubmission/get reports them (a new connection, and login, only
    when jmapd's worker went with a killed stored)."""
    why = None
    ids = list(sids)
    for _ in range(80):
        try:
            c = _client.get(srv) or Client(srv)
            _client[srv] = c
            got = []
            for i in range(0, len(ids), GET_MAX):
                got += c.call("EmailSubmission/get",
                              ids=ids[i:i + GET_MAX])["list"]
            break
        # a session refused (503) or cut while stored restarts
        except (OSError, http.client.HTTPException, ssl.SSLError,
                AssertionError, KeyError, ValueError) as e:
            why = e
            _client.pop(srv, None)
            time.sleep(0.25)
    else:
        raise AssertionError("EmailSubmission/get never answered: %r" % why)
    out = {}
    for s in got:
        st = next(iter(s["deliveryStatus"].values()))
        if s["undoStatus"] != "final":
            out[s["id"]] = "pending"
        elif st["smtpReply"].startswith("250"):
            out[s["id"]] = "sent"
        elif st["delivered"] == "unknown":
            out[s["id"]] = "unknown"
        else:
            out[s["id"]] = "failed"
    return out


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))]


def run(n=100, submitd_kills=3, stored_kills=3, window=2.0, lead=4, seed=None,
        log=print, settle=60):
    """The scenario; a dict of what happened (see the module's text)."""
    seed = seed if seed is not None else int(time.time() * 1000) % 1000000
    rng = random.Random(seed)
    log("# crash run: %d submissions, %d submitd and %d stored kills within"
        " %.1f s, seed %d" % (n, submitd_kills, stored_kills, window, seed))
    sink = TimedSink()
    try:
        with server(sink) as srv:
            c = Client(srv)
            at = int(time.time()) + lead
            sids = submit_all(c, n, at, "%d" % seed)
            queued = time.time()
            assert queued < at - 0.2, "queueing took until %.2f s before sendAt" % (
                at - queued)
            plan = sorted([(at + rng.uniform(0, window), "submitd")
                           for _ in range(submitd_kills)] +
                          [(at + rng.uniform(0, window), "stored")
                           for _ in range(stored_kills)])
            kills = []
            for when, name in plan:
                time.sleep(max(0.0, when - time.time()))
                if kill_one(srv, name, log) is not None:
                    kills.append(name)
            # until every submission is final and the sink is quiet
            end = time.monotonic() + settle
            state = ends(srv, sids)
            while time.monotonic() < end and "pending" in state.values():
                time.sleep(0.25)
                state = ends(srv, sids)
            time.sleep(1.0)
            state = ends(srv, sids)
            log_tail = srv.srv.log[-40:]
            _client.pop(srv, None)
    finally:
        sink.close()
    return summarize(sink.arrivals, sids, state, at, kills, seed, log_tail)


def summarize(arrivals, sids, state, at, kills, seed, log_tail):
    first, count = {}, {}
    for t, mid in arrivals:
        count[mid] = count.get(mid, 0) + 1
        first.setdefault(mid, t)
    mids = set(sids.values())
    late = [first[m] - at for m in mids if m in first]
    by = {k: sorted(s for s, v in state.items() if v == k)
          for k in ("sent", "unknown", "failed", "pending")}
    return {
        "seed": seed, "n": len(sids), "send_at": at,
        "submitd_kills": kills.count("submitd"),
        "stored_kills": kills.count("stored"),
        "arrived": len([m for m in mids if m in first]),
        "duplicates": sorted(m for m, k in count.items() if k > 1),
        "strangers": sorted(m for m in count if m not in mids),
        "early": sorted(m for m in mids if m in first and first[m] < at),
        "late": sorted(late),
        "p50": percentile(late, 50), "p90": percentile(late, 90),
        "p99": percentile(late, 99), "max": max(late) if late else None,
        "sent": by["sent"], "unknown": by["unknown"], "failed": by["failed"],
        "not_final": by["pending"],
        # sent per JMAP but not at the sink, or neither sent nor unknown
        "lost": sorted(s for s, m in sids.items() if m not in first and
                       state.get(s) != "unknown"),
        "unknown_arrived": sorted(s for s in by["unknown"] if sids[s] in first),
        "log": log_tail,
    }
