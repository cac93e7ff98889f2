#!/usr/bin/env python3
"""Run bench/lmtp_bench.py against a fresh Cloister (cloisterd with the
real stored and lmtpd, user "bench", LMTP on loopback TCP) and whatever
other targets are given, in one run, Cloister first:

    python3 bench/lmtp_run.py [-d SECONDS] [-c 1,4] [-s BYTES] \\
        dovecot=127.0.0.1:3424 cyrus=127.0.0.1:2425

Run as root from the top of the tree (CLOISTER_BUILD: the build dir; use a
release-like build, not build-asan). The peers come from
bench/peers up (user bench exists in both)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from cloister_server import CloisterServer  # noqa: E402
from lmtp_util import Admin, lmtpd_block, stored_block  # noqa: E402


def main(argv):
    svc = lmtpd_block(spares=8, options={"received-header": "yes"},
                      listens=["lmtp tcp 127.0.0.1:@port:lmtp@ plain"],
                      max_processes=64)
    with CloisterServer([stored_block(), svc], debug=False) as srv:
        srv.start()
        srv.wait_ready(timeout=60)
        adm = Admin(srv)
        adm.user("bench")
        adm.close()
        target = "cloister=127.0.0.1:%d" % srv.port("lmtp")
        return subprocess.call([sys.executable, os.path.join(HERE, "lmtp_bench.py")]
                               + argv[:0] + [a for a in argv if "=" not in a]
                               + [target] + [a for a in argv if "=" in a])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
