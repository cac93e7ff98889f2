#!/usr/bin/env python3
"""bench/store/fairness.py [-d SECONDS] [--hostile K] [--texts N]: does one
user's hostile loop stall another user of the same store shard?

Starts a private cloister-stored (temporary spool, as the tests do). The
hostile user "mallory" gets N messages of 256 KB of text each ("aaaa..."),
then K sessions loop for D seconds over SEARCH BODY with a 1,000-byte
needle built to make a naive substring scan quadratic ("aaa...ab") and
COPY 1:* INBOX to INBOX (which doubles the mailbox for free). Meanwhile
"alice" (200 messages) loops over SELECT + FETCH as a client opening her
mailbox does: STATUS, then FETCH 1:* (flags, internal date, size,
envelope). Prints alice's latency (p50, p99, max), her operation count and
what mallory got done (searches, copies, LIMIT answers). Run as root from
the source tree after `ninja -C build`. The figure is in bench/README.md.
tests/integration/test_store_fairness.py runs the same code, shorter,
with a looser bound."""
import argparse
import os
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from store_util import (ERROR, T, Store, append_to, b,  # noqa: E402
                        new_user, s, u32, u64, uidset)

F_FLAGS, F_IDATE, F_SIZE, F_ENVELOPE = 1, 2, 4, 8
BODY = 18


def _request(c, name, payload, timeout):
    """(ok, records) of one request; timeout bounds the wait."""
    rid = c.send(T[name], payload)
    recs = c.reply(rid, timeout=timeout)
    return recs[-1][0] != ERROR, recs


def setup(st, texts):
    mallory = new_user(st, "mallory")
    for i in range(texts):
        append_to(mallory, b"m%d" % i, text=b"a" * (256 << 10) + b"%d" % i)
    alice = new_user(st, "alice")
    env = b"(" + b"e" * 300 + b")"
    for i in range(200):
        append_to(alice, b"alice %d" % i, envelope=env)
    return alice


def hostile_loop(st, stop, counts, lock, timeout):
    c = st.connect("imapd")
    c.hello(st.key, "mallory")
    inbox = c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[0]
    needle = b"a" * 999 + b"b"
    prog = bytes([BODY]) + struct.pack(">I", len(needle)) + needle
    while not stop.is_set():
        for name, payload in (
                ("STORE_SEARCH", u64(inbox) + b(prog) + u32(0)),
                ("STORE_COPY", u64(inbox) + uidset((1, 0xffffffff)) +
                 u64(inbox))):
            try:
                ok, recs = _request(c, name, payload, timeout)
            except Exception:
                with lock:
                    counts["stuck"] += 1
                return
            key = name[6:].lower() + ("" if ok else "_refused")
            with lock:
                counts[key] = counts.get(key, 0) + 1


def victim_loop(st, alice, stop, lat, timeout):
    inbox = alice.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[0]
    what = F_FLAGS | F_IDATE | F_SIZE | F_ENVELOPE
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            _request(alice, "STORE_MBOX_STATUS", u64(inbox) + s(""), timeout)
            _request(alice, "STORE_FETCH", u64(inbox) +
                     uidset((1, 0xffffffff)) + u32(what) + u64(0), timeout)
        except Exception:
            lat.append(float("inf"))
            return
        lat.append(time.monotonic() - t0)
        time.sleep(0.005)


def run(duration=10.0, hostile=2, texts=64, timeout=10.0, st=None):
    """Alice's latencies (seconds, sorted) and mallory's counts."""
    own = st is None
    if own:
        st = Store()
        st.start()
    try:
        alice = setup(st, texts)
        stop = threading.Event()
        lock = threading.Lock()
        counts = {"stuck": 0}
        lat = []
        threads = [threading.Thread(target=hostile_loop,
                                    args=(st, stop, counts, lock, timeout),
                                    daemon=True) for _ in range(hostile)]
        for t in threads:
            t.start()
        time.sleep(0.2)             # the hostile loop is running
        v = threading.Thread(target=victim_loop,
                             args=(st, alice, stop, lat, timeout), daemon=True)
        v.start()
        time.sleep(duration)
        stop.set()
        v.join(timeout + 1)
        for t in threads:
            t.join(timeout + 1)
        return sorted(lat), counts
    finally:
        if own:
            st.cleanup()


def pct(lat, p):
    if not lat:
        return float("inf")
    return lat[min(len(lat) - 1, int(len(lat) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-d", type=float, default=10.0, help="seconds")
    ap.add_argument("--hostile", type=int, default=2, help="mallory's sessions")
    ap.add_argument("--texts", type=int, default=64,
                    help="mallory's 256 KB texts")
    a = ap.parse_args()
    lat, counts = run(a.d, a.hostile, a.texts)
    print("alice SELECT+FETCH (200 messages): n=%d p50=%.1f ms p99=%.1f ms "
          "max=%.1f ms" % (len(lat), pct(lat, 0.5) * 1e3, pct(lat, 0.99) * 1e3,
                           lat[-1] * 1e3 if lat else float("inf")))
    print("mallory (%d sessions): %s" % (a.hostile, ", ".join(
        "%s %d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
