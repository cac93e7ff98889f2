#!/usr/bin/env python3
"""bench/jmap/submission.py: JMAP EmailSubmission, Cloister's and a peer's
side by side on loopback (plain HTTP, Basic).

Rows, for each server:
- submit: requests a second, one keep-alive connection, each request an
  Email/set create of a draft and an EmailSubmission/set create of it
  (`#d`), with onSuccessUpdateEmail moving it to Sent;
- drain: seconds from the last of those answers to the last message at
  the SMTP sink;
- late-p50 / -p90 / -max: milliseconds between a submission's sendAt (a
  whole second, HOLDUNTIL) and its arrival at the sink, over --holds
  submissions spread over --spread seconds (3), or with --stagger S one
  made every S seconds, each held until the whole second --ahead (3) to
  --ahead+1 s later (a server's poll then meets every phase);
  late-early counts the arrivals before sendAt (must be 0);
- with --undo N, undo send: N more held the same way (made at once: over
  3 s whatever --spread), every other one
  canceled (EmailSubmission/set undoStatus "canceled") right after they
  are all queued (with --stagger: right after each is made), seconds
  before their sendAt: undo-canceled (updates
  accepted), undo-leaked (canceled ones that arrived anyway, waited for
  until 12 s past the last second), undo-late-* the kept ones' lateness.

--crash N: instead, the scheduled-send crash run (Cloister only; the
scenario of tests/integration/test_submit_crash.py): N submissions held
until the same second, --kills kill -9 each of submitd and stored at
random moments within --window seconds of it; printed: the lateness
distribution (p50, p90, p99, max), duplicates, early arrivals, unknowns
("may or may not have been sent"), losses.

Cloister is started here (cloisterd + authd + keyd + stored + imapd +
jmapd on a plain loopback listener + submitd relaying to a sink in this
process) from CLOISTER_BUILD (default ./build). The peer is given as
NAME=URL,USER:PASSWORD,SINKDIR: its JMAP URL and a directory where its
SMTP sink writes one file per message (arrival = the file's mtime).
--cyrus-instance DIR adds a Cyrus instance laid out as cyrus_alarmd.py
describes, with the calalarmd that sends its held mail running for the
time of its measurement. Run as root."""
import argparse
import base64
import glob
import http.client
import json
import os
import socket
import statistics
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

from harness import service_block  # noqa: E402
from imap_util import ImapServer  # noqa: E402
from submit_util import Sink, submitd_block  # noqa: E402

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail",
         "urn:ietf:params:jmap:submission"]


class Target:
    def __init__(self, name, url, user, pw, arrivals):
        self.name = name
        u = urllib.parse.urlsplit(url)
        assert u.scheme == "http" and u.hostname in ("127.0.0.1", "::1")
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/"
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (user, pw)).encode()).decode()
        self.arrivals = arrivals      # () -> {token: unix time}
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        path = "/.well-known/jmap"
        for _ in range(5):
            self.c.request("GET", path, headers={"Authorization": self.auth})
            r = self.c.getresponse()
            body = r.read()
            if r.status not in (301, 302, 307, 308):
                break
            path = urllib.parse.urlsplit(r.getheader("Location")).path
        s = json.loads(body)
        self.api = urllib.parse.urlsplit(s["apiUrl"]).path
        self.acct = s["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        self.caps = s["accounts"][self.acct]["accountCapabilities"].get(
            "urn:ietf:params:jmap:submission", {})
        boxes = self.call([["Mailbox/get", {"accountId": self.acct,
                                            "properties": ["role"]}, "m"]])
        self.box = {b["role"]: b["id"] for b in boxes[0][1]["list"] if b["role"]}
        ident = self.call([["Identity/get", {"accountId": self.acct}, "i"]])
        self.ident = ident[0][1]["list"][0]

    def call(self, calls):
        self.c.request("POST", self.api, body=json.dumps(
            {"using": USING, "methodCalls": calls}), headers={
                "Authorization": self.auth, "Content-Type": "application/json"})
        r = self.c.getresponse()
        data = r.read()
        assert r.status == 200, (self.name, r.status, data[:300])
        out = json.loads(data)["methodResponses"]
        for name, args, _ in out:
            assert name != "error", (self.name, args)
        return out

    def send(self, token, hold_until=None):
        frm = self.ident["email"]
        mail_from = {"email": frm}
        if hold_until is not None:
            mail_from["parameters"] = {"HOLDUNTIL": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(hold_until))}
        out = self.call([
            ["Email/set", {"accountId": self.acct, "create": {"d": {
                "mailboxIds": {self.box["drafts"]: True},
                "keywords": {"$draft": True}, "from": [{"email": frm}],
                "to": [{"email": "rcpt@example.org"}], "subject": token,
                "bodyStructure": {"type": "text/plain", "partId": "1"},
                "bodyValues": {"1": {"value": "bench\r\n"}}}}}, "e"],
            ["EmailSubmission/set", {"accountId": self.acct, "create": {"s": {
                "identityId": self.ident["id"], "emailId": "#d",
                "envelope": {"mailFrom": mail_from,
                             "rcptTo": [{"email": "rcpt@example.org"}]}}},
                "onSuccessUpdateEmail": {"#s": {
                    "mailboxIds/" + self.box["drafts"]: None,
                    "mailboxIds/" + self.box["sent"]: True,
                    "keywords/$draft": None, "keywords/$seen": True}}}, "s"]])
        sub = out[1][1]
        assert "s" in sub.get("created", {}), (self.name, sub)
        return sub["created"]["s"]["id"]

    def cancel(self, ids):
        """Undo send: undoStatus "canceled" on each; the ids it took."""
        out = self.call([["EmailSubmission/set", {
            "accountId": self.acct,
            "update": {i: {"undoStatus": "canceled"} for i in ids}}, "u"]])
        return set(out[0][1].get("updated") or {})


def wait_tokens(t, tokens, timeout):
    end = time.time() + timeout
    while time.time() < end:
        got = t.arrivals()
        if all(k in got for k in tokens):
            return got
        time.sleep(0.005)
    return t.arrivals()


def measure(t, a, run):
    res = {}
    tokens = ["bench-%s-%s-%d" % (run, t.name, i) for i in range(a.messages)]
    t0 = time.time()
    for k in tokens:
        t.send(k)
    t1 = time.time()
    res["submit"] = len(tokens) / (t1 - t0)
    got = wait_tokens(t, tokens, 120)
    if all(k in got for k in tokens):
        res["drain"] = max(got[k] for k in tokens) - t1
    if not t.caps.get("maxDelayedSend"):
        print("# %s: no delayed send (maxDelayedSend %r)" % (
            t.name, t.caps.get("maxDelayedSend")), flush=True)
        return res
    late, n = held(t, "hold-%s-%s" % (run, t.name), a.holds, (), a)
    res.update(lateness(late))
    print("# %s: %d of %d held submissions arrived" % (t.name, len(late), n),
          flush=True)
    if a.undo:
        res.update(undo(t, a, run))
    return res


def hold_lead(n):
    """Seconds ahead of now for the first hold second: submitting n takes
    up to n/10 s on the slower server, all of it before the second."""
    return 2 + (n + 9) // 10


def held(t, prefix, n, cancel_every, a, grace=0):
    """n held submissions; those whose index is in cancel_every canceled
    (at once, or with a.stagger right after each is made). Without
    a.stagger all are made at once, held until whole seconds spread over
    a.spread; with it, one every a.stagger seconds, each held until the
    whole second a.ahead to a.ahead+1 s later: the server's own timers
    (a poll) meet every phase. Returns (lateness in ms of the kept ones
    that arrived, n kept) and, through t.leaked, the canceled ones that
    arrived anyway."""
    holds, ids = {}, {}
    base = int(time.time()) + hold_lead(n)
    behind, start, canceled = 0, time.time(), set()
    for i in range(n):
        k = "%s-%d" % (prefix, i)
        if a.stagger:
            time.sleep(max(0, start + i * a.stagger - time.time()))
            holds[k] = int(time.time()) + a.ahead + 1
        else:
            holds[k] = base + i % a.spread
        ids[k] = t.send(k, hold_until=holds[k])
        if a.stagger and i in cancel_every:
            canceled |= t.cancel([ids[k]])
        behind += time.time() >= holds[k]
    drop = [k for i, k in enumerate(holds) if i in cancel_every]
    if not a.stagger and drop:
        canceled = t.cancel([ids[k] for k in drop])
        behind += sum(time.time() >= holds[k] for k in drop)
    t.canceled = canceled
    if behind:
        print("# %s: %d submissions or cancels came after their second: "
              "raise the lead" % (t.name, behind), flush=True)
    t.cancel_missed = len(drop) - len(t.canceled)
    keep = [k for k in holds if k not in drop]
    got = wait_tokens(t, keep, max(holds.values()) - time.time() + 30)
    if drop:
        # a canceled one would leave no later than a kept one would
        end = max(holds.values()) + grace
        while time.time() < end:
            time.sleep(0.1)
        got = t.arrivals()
    t.leaked = sum(1 for k in drop if k in got)
    late = [(got[k] - holds[k]) * 1000 for k in keep if k in got]
    return late, len(keep)


def lateness(late, tag="late"):
    if not late:
        return {}
    q = statistics.quantiles(late, n=10, method="inclusive") \
        if len(late) > 1 else late
    return {tag + "-p50": statistics.median(late), tag + "-p90": q[-1],
            tag + "-max": max(late),
            tag + "-early": sum(1 for x in late if x < 0)}


def undo(t, a, run):
    """Undo send: a.undo submissions held a few seconds, every other one
    canceled inside the window; none of those may arrive, the rest on
    time. The wait covers a 10 s poll past the last second."""
    late, kept = held(t, "undo-%s-%s" % (run, t.name), a.undo,
                      set(range(0, a.undo, 2)),
                      argparse.Namespace(**dict(vars(a), spread=3)), grace=12)
    res = lateness(late, "undo-late")
    res["undo-canceled"] = len(t.canceled)
    res["undo-leaked"] = t.leaked
    print("# %s: undo: %d canceled (%d refused), %d of them arrived; %d of "
          "%d kept arrived" % (t.name, len(t.canceled), t.cancel_missed,
                               t.leaked, len(late), kept), flush=True)
    return res


class NoDelaySink(Sink):
    """The test sink writes a multi-line reply a line per write: with
    Nagle each later line waits for the client's delayed ACK (40 ms), a
    cost of the sink, not of the server measured. A real MTA writes the
    reply at once; TCP_NODELAY here has the same effect."""
    def get_request(self):
        conn, addr = Sink.get_request(self)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


def sink_arrivals(sink, when):
    def f():
        with sink.lock:
            return dict(when)
    return f


def dir_arrivals(d):
    def f():
        out = {}
        for p in glob.glob(os.path.join(d, "*")):
            try:
                with open(p, "rb") as fh:
                    head = fh.read(8192)
                mt = os.stat(p).st_mtime
            except OSError:
                continue
            for line in head.split(b"\n"):
                if line.lower().startswith(b"subject:"):
                    out[line[8:].strip().decode("latin-1")] = mt
        return out
    return f


def crash(a):
    from submit_crash_util import run
    # queueing N takes up to N/70 s here: all of it before the second
    r = run(a.crash, a.kills, a.kills, window=a.window, seed=a.seed,
            lead=4 + a.crash // 50)
    print("| n | kills (submitd, stored) | p50 ms | p90 ms | p99 ms | max ms |"
          " duplicates | early | unknown | lost | not final |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ms = ["n/a" if r[k] is None else "%.0f" % (r[k] * 1000)
          for k in ("p50", "p90", "p99", "max")]
    print("| %d | %d, %d | %s | %d | %d | %d | %d | %d |" % (
        r["n"], r["submitd_kills"], r["stored_kills"], " | ".join(ms),
        len(r["duplicates"]), len(r["early"]), len(r["unknown"]),
        len(r["lost"]), len(r["not_final"])))
    print("# seed %d; unknown ones that did arrive: %d" % (
        r["seed"], len(r["unknown_arrived"])))
    return 0


def cyrus(a, run):
    """The Cyrus instance of --cyrus-instance, with its calalarmd."""
    from cyrus_alarmd import CalAlarmd, http_url
    user, pw = a.cyrus_login.split(":", 1)
    sink = os.path.join(a.cyrus_instance, "smtpsink")
    with CalAlarmd(a.cyrus_instance):
        t = Target("cyrus", http_url(a.cyrus_instance), user, pw,
                   dir_arrivals(sink))
        return measure(t, a, run)


def jmapd_block():
    return service_block(
        "jmapd", "connection", "@bin:cloister-jmapd@", "jmapd",
        ("jmap tcp 127.0.0.1:@port:jmap@ plain",),
        settings={"spares": 4, "max-processes": 40, "max-per-ip": 0},
        options={"auth": "yes", "keyd": "yes",
                 "default-domain": "example.net"})


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("peers", nargs="*", help="NAME=URL,USER:PASSWORD,SINKDIR")
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--holds", type=int, default=12)
    ap.add_argument("--spread", type=int, default=3, metavar="S",
                    help="the --holds submissions' seconds spread over S")
    ap.add_argument("--stagger", type=float, default=0, metavar="S",
                    help="make the held submissions one every S seconds")
    ap.add_argument("--ahead", type=int, default=3, metavar="S",
                    help="with --stagger, each held S to S+1 seconds")
    ap.add_argument("--undo", type=int, default=0, metavar="N",
                    help="also N held submissions, every other one canceled")
    ap.add_argument("--cyrus-instance", metavar="DIR",
                    help="add the Cyrus instance in DIR as peer 'cyrus' and "
                    "run its calalarmd meanwhile")
    ap.add_argument("--cyrus-login", default="jmapuser:jmap-pass-1")
    ap.add_argument("--crash", type=int, metavar="N",
                    help="the crash run with N submissions")
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--seed", type=int)
    a = ap.parse_args(argv)
    if a.crash:
        return crash(a)
    run = "%d" % time.time()
    when = {}
    sink = NoDelaySink()

    class Got(list):
        """The sink's list: each message's Subject timed as it ends."""
        def append(self, item):
            for line in item[2].split(b"\r\n"):
                if line.lower().startswith(b"subject:"):
                    when[line[8:].strip().decode("latin-1")] = time.time()
            list.append(self, item)
    sink.got = Got()
    results, names = [], []
    try:
        srv = ImapServer(users={"bench": "bench-pass-1"},
                         extra_services=[jmapd_block(), submitd_block(sink.port)])
        with srv:
            t = Target("cloister", "http://127.0.0.1:%d/" % srv.port("jmap"),
                       "bench", "bench-pass-1", sink_arrivals(sink, when))
            results.append(measure(t, a, run))
            names.append("cloister")
        for spec in a.peers:
            name, rest = spec.split("=", 1)
            url, cred, sdir = rest.split(",")
            user, pw = cred.split(":", 1)
            t = Target(name, url, user, pw, dir_arrivals(sdir))
            results.append(measure(t, a, run))
            names.append(name)
        if a.cyrus_instance:
            results.append(cyrus(a, run))
            names.append("cyrus")
    finally:
        sink.close()
    rows = [("submit", "req/s", "higher"), ("drain", "s", "lower")]
    for tag in ("late", "undo-late")[:1 + bool(a.undo)]:
        rows += [(tag + q, "ms", "lower") for q in ("-p50", "-p90", "-max")]
        rows.append((tag + "-early", "count", "0"))
    if a.undo:
        rows += [("undo-canceled", "count", "%d" % len(range(0, a.undo, 2))),
                 ("undo-leaked", "count", "0")]
    print("| row | unit | better | %s |%s" % (" | ".join(names), "".join(
        " %s/%s |" % (names[0], n) for n in names[1:])))
    print("|---|---|---|%s" % ("---|" * (2 * len(names) - 1)))
    for row, unit, better in rows:
        vals = [r.get(row) for r in results]
        ratios = ["%.2f×" % (vals[0] / v) if vals[0] is not None and
                  v is not None and vals[0] > 0 and v > 0 else "n/a"
                  for v in vals[1:]]
        print("| %s | %s | %s | %s |%s" % (row, unit, better, " | ".join(
            "n/a" if v is None else "{:,.2f}".format(v) for v in vals),
            "".join(" %s |" % r for r in ratios)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
