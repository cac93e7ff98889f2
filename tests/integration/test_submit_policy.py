"""submitd opens no socket: its filter alone (no network namespace, no
Landlock) refuses socket() and every connect; the same probe under a
copy of the policy that grants them reports them ALLOWED (the test can
fail); a running submitd under cloisterd passes cloister-audit."""
import re

from cloister_server import CloisterServer
from harness import policy, policy_copy, run, tool
from lmtp_util import have_store
from submit_util import Sink, services

FILTER_ONLY = ("--without", "netns,landlock")
NET = (r"socket\(AF_INET\)", r"TCP connect to the host's 127\.0\.0\.1",
       r"connect to a unix socket path", r"connect to an abstract unix socket")


def probe(path):
    r = run([tool("cloister-probe")] + list(FILTER_ONLY) + [path], timeout=120)
    return r.returncode, r.stdout + r.stderr


def test_the_policy_names_no_socket_or_connect():
    with open(policy("submitd")) as f:
        words = set()
        for line in f:
            if line.startswith(("syscall ", "syscall-if ")):
                words.update(line.split(":")[0].split()[1:])
    assert not words & {"socket", "connect", "socketpair", "bind", "accept",
                        "accept4", "listen"}, words


def test_the_filter_alone_refuses_socket_and_connect():
    rc, out = probe(policy("submitd"))
    assert rc == 0 and "ALLOWED" not in out, out
    for what in NET:
        assert re.search(what + r"\s+refused", out), what + "\n" + out


def test_the_probe_sees_a_policy_that_grants_them():
    weak = policy_copy("submitd", lambda t: t + "\nsyscall socket connect : weakened\n")
    rc, out = probe(weak)
    assert rc == 1, out
    assert re.search(NET[0] + r"\s+ALLOWED", out), out


def test_a_running_submitd_passes_the_audit():
    if not have_store():
        return
    sink = Sink()
    try:
        with CloisterServer(services(sink.port)) as srv:
            srv.start()
            srv.wait_ready()
            pid = srv.children("submitd")[0].pid
            r = srv.audit()      # the whole tree, by cloisterd's pid file
            assert r.returncode == 0, r.stdout + r.stderr
            assert "submitd pid %d " % pid in r.stdout, r.stdout
    finally:
        sink.close()
