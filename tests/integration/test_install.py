"""`meson install` puts the daemons, the tools and the policies in place and
nothing that exists only for tests: no probe, test worker, stand-in, auth
worker, store check client, bench tool, unit test, fuzz target or the
probe's policy."""
import os
import shutil
import subprocess
import tempfile

from harness import BUILD

TEST_ONLY = ("cloister-probe", "cloister-probe-worker", "cloister-testworker",
             "cloister-standin", "cloister-authworker", "store-client-check",
             "probe.policy")
TEST_PREFIXES = ("test_", "fuzz_", "bench-", "cloister-bench")


def test_meson_install_installs_no_test_tool():
    dest = tempfile.mkdtemp(prefix="cloister-install-")
    try:
        r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild",
                            "--destdir", dest],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        names = []
        for _root, _dirs, files in os.walk(dest):
            names += files
        # what a server needs is there
        for want in ("cloisterd", "cloister-audit", "cloister-imapd",
                     "cloister-stored", "imapd.policy"):
            assert want in names, (want, sorted(names))
        bad = sorted(n for n in names
                     if n in TEST_ONLY or n.startswith(TEST_PREFIXES))
        assert not bad, bad
    finally:
        shutil.rmtree(dest, ignore_errors=True)
