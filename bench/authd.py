#!/usr/bin/env python3
"""authd on its own (no network: it is fed by worker socketpairs, so there is
no host:port to compare with Dovecot's auth process): logins per second over
N channels, PLAIN and SCRAM-SHA-256, and the latency of a SCRAM server-first
message for a real and for an unknown user (they must not differ: the
decoy spends the same key derivation). Run as root from the top of the tree
after building: python3 bench/authd.py [--channels N] [--seconds S]"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import auth_util as au  # noqa: E402


def rate(a, channels, seconds, one):
    """Logins per second, each login on a fresh channel (one per worker
    instance, as in production), `channels` kept in flight round-robin."""
    ws = [a.worker() for _ in range(channels)]
    done, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        for i in range(len(ws)):
            assert one(ws[i])
            ws[i].close()
            ws[i] = a.worker()
            done += 1
    for w in ws:
        w.close()
    return done / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=5)
    args = ap.parse_args()
    with au.Authd({"alice": "wonderland"}, options={"failure-delay-ms": "0",
                                                    "max-failures-per-user": "0",
                                                    "max-failures-per-address": "0"}) as a:
        plain = rate(a, args.channels, args.seconds,
                     lambda w: w.plain("alice", "wonderland")[0] == au.AUTH_SUCCESS)
        scram = rate(a, args.channels, args.seconds,
                     lambda w: w.scram("sha256", "SCRAM-SHA-256", "alice",
                                       "wonderland")[0][0] == au.AUTH_SUCCESS)
        lat = {"alice": [], "mallory": []}
        for _ in range(100):
            for user in lat:
                w = a.worker()
                sc = au.Scram("sha256", user, "x")
                t0 = time.perf_counter()
                w.start("SCRAM-SHA-256", sc.first())
                lat[user].append((time.perf_counter() - t0) * 1000)
                w.close()
    print("PLAIN logins/s          %8.0f" % plain)
    print("SCRAM-SHA-256 logins/s  %8.0f" % scram)
    ra, rm = statistics.median(lat["alice"]), statistics.median(lat["mallory"])
    print("server-first median ms  real %.2f  unknown user %.2f  ratio %.2f" %
          (ra, rm, rm / ra))


if __name__ == "__main__":
    main()
