#!/usr/bin/env python3
"""conformance.py: Dovecot's imaptest conformance scripts, per script.

    conformance.py [options] [NAME=HOST:PORT ...]

Runs every script of imaptest's test directory (test=FILE, one imaptest
run per script, so one failing script cannot hide another) against each
server given, and prints one row per script (ok, FAIL n/m commands, skip)
and the totals. Without servers it starts a Cloister server from the build
in CLOISTER_BUILD (default ./build; run as root) with the user and
password given and tests its loopback plaintext listener, where LOGIN is
allowed. Peers (bench/README.md): bench/peers up starts Dovecot (3143) and
Cyrus (2143) with the user bench/bench-pass-1, e.g.

    conformance.py cloister dovecot=127.0.0.1:3143 cyrus=127.0.0.1:2143

("cloister" alone means: start one here). --show NAME prints imaptest's
full output of the failing scripts of that server.

imaptest itself is built from Dovecot's imaptest sources (not part of
this tree) by `bench/peers imaptest`. Talks only to the servers it is told about.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
# where `bench/peers imaptest` builds it
SRC = os.path.join(os.environ.get("PEERS_DIR", "/tmp/cloister-peers"),
                   "imaptest", "src")

SUMMARY = re.compile(rb"(\d+) test groups: (\d+) failed, (\d+) skipped")
COUNTS = re.compile(rb"(base protocol|extensions): (\d+)/(\d+) individual")


def scripts(directory, only):
    names = sorted(n for n in os.listdir(directory)
                   if not n.endswith(".mbox") and not n.startswith(".")
                   and os.path.isfile(os.path.join(directory, n)))
    return [n for n in names if not only or n in only]


def run_one(binary, directory, name, host, port, user, password, timeout):
    """(status, failed commands, total commands, output) of one script."""
    args = [binary, "host=" + host, "port=%d" % port, "user=" + user,
            "pass=" + password, "test=" + os.path.join(directory, name)]
    try:
        r = subprocess.run(args, capture_output=True, timeout=timeout,
                           cwd=directory)
        out = r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        return "TIMEOUT", 0, 0, out
    m = SUMMARY.search(out)
    failed = total = 0
    for _kind, f, t in COUNTS.findall(out):
        failed += int(f)
        total += int(t)
    if not m:
        return "ERROR", failed, total, out
    groups, gfail, skipped = (int(x) for x in m.groups())
    # a script whose "capabilities:" the server lacks runs no command (this
    # imaptest does not always count it as skipped)
    if skipped == groups or (total == 0 and gfail == 0):
        return "skip", failed, total, out
    return ("ok" if gfail == 0 else "FAIL"), failed, total, out


def start_cloister(user, password):
    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    from imap_util import ImapServer
    srv = ImapServer(users={user: password}, spares=4, maxproc=200,
                     maxip=200, delay_ms=0)
    srv.start()
    return srv, srv.port("plain")


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("servers", nargs="*", default=["cloister"])
    ap.add_argument("--imaptest", default=os.path.join(SRC, "imaptest"))
    ap.add_argument("--tests", default=os.path.join(SRC, "tests"))
    ap.add_argument("--user", default="bench")
    ap.add_argument("--password", default="bench-pass-1")
    ap.add_argument("--only", default="", help="comma-separated scripts")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--show", default="", help="print failures of NAME")
    a = ap.parse_args(argv)

    only = set(x for x in a.only.split(",") if x)
    names = scripts(a.tests, only)
    servers, owned = [], []
    try:
        for spec in a.servers:
            if spec == "cloister":
                srv, port = start_cloister(a.user, a.password)
                owned.append(srv)
                servers.append(("cloister", "127.0.0.1", port))
                continue
            label, _, hp = spec.partition("=")
            host, _, port = hp.rpartition(":")
            servers.append((label, host, int(port)))

        results = {}
        for label, host, port in servers:
            for n in names:
                results[label, n] = run_one(a.imaptest, a.tests, n, host,
                                            port, a.user, a.password,
                                            a.timeout)
    finally:
        for srv in owned:
            srv.close()

    width = max(len(n) for n in names) + 2
    print("%-*s" % (width, "script") +
          "".join("%-22s" % s[0] for s in servers))
    for n in names:
        row = "%-*s" % (width, n)
        for label, _h, _p in servers:
            st, f, t, _o = results[label, n]
            cell = st if st != "FAIL" else "FAIL %d/%d" % (f, t)
            row += "%-22s" % cell
        print(row)
    print()
    for label, _h, _p in servers:
        rs = [results[label, n] for n in names]
        ok = sum(1 for r in rs if r[0] == "ok")
        skip = sum(1 for r in rs if r[0] == "skip")
        cmds = sum(r[2] for r in rs)
        bad = sum(r[1] for r in rs)
        print("%s: %d/%d scripts pass (%d skipped for capabilities), "
              "%d/%d commands failed" % (label, ok, len(rs) - skip, skip,
                                         bad, cmds))
        if label == a.show:
            for n in names:
                st, _f, _t, out = results[label, n]
                if st not in ("ok", "skip"):
                    print("==== %s (%s) ====" % (n, st))
                    sys.stdout.write(out.decode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
