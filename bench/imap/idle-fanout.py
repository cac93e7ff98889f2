#!/usr/bin/env python3
"""idle-fanout: N IDLE sessions of one user per server; one APPEND from
another session; how long until every idler has seen "* N EXISTS".

    idle-fanout.py [--n 5000] [--user U --password P] NAME=HOST:PORT[:tls] ...

Prints p50 / p99 / max seconds from sending the APPEND, per server. The
clients run in this one process (asyncio); raise the fd limit (ulimit -n)
above 2N. The servers must allow N connections of one user from one
address (Cloister: max-processes and max-per-ip; Dovecot:
mail_max_userip_connections)."""
import argparse
import os
import resource
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from imap_util import run_fanout  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("servers", nargs="+")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--user", default="bench")
    ap.add_argument("--password", default="bench-pass-1")
    ap.add_argument("--concurrency", type=int, default=8,
                    help="sessions opened at once (the peers reset above ~8)")
    a = ap.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print("%-10s %6s %6s %8s %8s %8s" % ("server", "idlers", "heard", "p50",
                                          "p99", "max"))
    for spec in a.servers:
        name, rest = spec.split("=", 1)
        parts = rest.split(":")
        tls = len(parts) > 2 and parts[2] == "tls"
        r = run_fanout(parts[0], int(parts[1]), a.user, a.password, a.n,
                       tls=tls, concurrency=a.concurrency,
                       timeout=max(300, a.n // 5))
        fmt = lambda v: "n/a" if v is None else "%.3f" % v
        print("%-10s %6d %6d %8s %8s %8s" % (name, r["idlers"], r["heard"],
              fmt(r["p50"]), fmt(r["p99"]), fmt(r["max"])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
