"""The standalone JMAP conformance check (tests/conformance/
jmap_conformance.py, written from RFC 8620 and RFC 8621) against a real
server set up like the quickstart's: cloisterd, authd, keyd, stored and
jmapd over TLS with a self-signed certificate. Every check must pass."""
import os
import subprocess
import sys

from harness import service_block
from imap_util import ImapServer, need_stored

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "..", "conformance", "jmap_conformance.py")
USERS = {"demo": "demo-pass"}


def quickstart_server():
    """jmapd with docs/examples/quickstart.conf's settings."""
    need_stored()
    jmapd = service_block(
        "jmapd", "connection", "@bin:cloister-jmapd@", "jmapd",
        ("jmap tcp 127.0.0.1:@port:jmap@ tls",),
        settings={"spares": 2, "max-processes": 200, "max-per-ip": 50,
                  "prelogin-timeout": 30},
        options={"auth": "yes", "keyd": "yes"})
    return ImapServer(users=USERS, extra_services=[jmapd])


def test_every_conformance_check_passes():
    with quickstart_server() as srv:
        base = "https://127.0.0.1:%d" % srv.port("jmap")
        p = subprocess.run([sys.executable, PROGRAM, "--insecure", base,
                            "demo", USERS["demo"]],
                           capture_output=True, text=True, timeout=600)
        out = p.stdout + p.stderr
        failing = [l for l in out.splitlines() if not l.startswith("PASS ")]
        print("\n".join(failing))
        last = out.strip().splitlines()[-1] if out.strip() else ""
        assert p.returncode == 0 and last.endswith(" 0 failed"), out
        assert int(last.split()[0]) >= 80, last
        # the thread keyword filters and keyword sorts were checked
        for name in ("thread keyword filters", "keyword sorts"):
            assert any(l.startswith("PASS ") and name in l
                       for l in out.splitlines()), (name, out)
        # where RFC 8620 lets the server choose, what this one does: an
        # update of a record the same /set destroys is skipped
        assert any("update and destroy of one id: willDestroy" in l
                   for l in out.splitlines()), out


def test_a_refused_login_fails_the_run():
    # the program must not pass what it could not check: a wrong password
    # fails the Session check, stops the run and sets the exit status
    with quickstart_server() as srv:
        base = "https://127.0.0.1:%d" % srv.port("jmap")
        p = subprocess.run([sys.executable, PROGRAM, "--insecure", base,
                            "demo", "not-the-password"],
                           capture_output=True, text=True, timeout=120)
        lines = p.stdout.strip().splitlines()
        assert p.returncode != 0, p.stdout
        assert lines[0].startswith("FAIL 1 "), p.stdout
        assert lines[-1] == "0 passed, 1 failed", p.stdout
