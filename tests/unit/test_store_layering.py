#!/usr/bin/env python3
"""The store protocol's layering, read from the sources: workers/shared
(MIME, metadata, TLS) builds on store_proto.h and never on the store client
library, and the user -> shard hash is written once (store/store_proto.c).
Exit 0 when the rules hold, 1 with the offending places otherwise."""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
STORE_HEADERS = {"store_client.h", "store_client_int.h", "meta.h", "wire.h"}
# a hash taken modulo a shard count: the placement rule, written again
MOD_SHARDS = re.compile(r"%\s*[\w>.-]*shards\b")


def sources(top):
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if not x.startswith(("build", "."))]
        for f in files:
            if f.endswith((".c", ".h")):
                yield os.path.join(d, f)


def main():
    bad = []
    shared = os.path.join(ROOT, "workers", "shared")
    for p in sources(shared):
        with open(p, errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if m and m.group(1) in STORE_HEADERS:
                    bad.append("%s:%d includes %s" % (p, n, m.group(1)))
    with open(os.path.join(shared, "meson.build")) as f:
        for n, line in enumerate(f, 1):
            if "dep_store_client" in line and not line.lstrip().startswith("#"):
                bad.append("workers/shared/meson.build:%d links the store "
                           "client" % n)
    one = os.path.normpath(os.path.join(ROOT, "store", "store_proto.c"))
    for top in ("store", "workers", "ctl", "common", "supervisor"):
        for p in sources(os.path.join(ROOT, top)):
            if os.path.normpath(p) == one:
                continue
            with open(p, errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if MOD_SHARDS.search(line):
                        bad.append("%s:%d places users itself (use "
                                   "store_shard_of)" % (p, n))
    for b in bad:
        print(b)
    print("store layering: %s" % ("ok" if not bad else "%d problems" % len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
