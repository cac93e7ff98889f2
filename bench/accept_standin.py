#!/usr/bin/env python3
"""Run cloister-bench-accept against cloisterd with the stand-in as imapd
(the pre-fork pool and the supervisor's accept path; no TLS, no IMAP), plus
any other HOST:PORT targets given, e.g. the peers of bench/README.md:

    python3 bench/accept_standin.py [-d SECONDS] [-c 1,50] \\
        dovecot=127.0.0.1:3143 cyrus=127.0.0.1:2143

Run as root from the top of the tree (CLOISTER_BUILD: the build dir).
Spares are 64 so that 50 concurrent clients find a warm worker; the
per-address limit is off (everything comes from 127.0.0.1)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from cloister_server import CloisterServer  # noqa: E402
from harness import tool  # noqa: E402
from supervisor_util import STORED, imapd  # noqa: E402


def main(argv):
    # -d N / -c N,N go to the benchmark as they are; the rest are targets
    rest, i = [], 0
    while i < len(argv):
        if argv[i] in ("-d", "-c"):
            rest += argv[i:i + 2]
            i += 2
        else:
            i += 1
    args = [a for a in argv if a not in rest]
    svc = imapd(spares=64, max_processes=1000, max_per_ip=0)
    with CloisterServer([STORED, svc], debug=False) as srv:
        srv.start()
        srv.wait_ready(timeout=60)
        target = "cloister=127.0.0.1:%d" % srv.port("imap")
        return subprocess.call([tool("cloister-bench-accept")] + rest +
                               [target] + args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
