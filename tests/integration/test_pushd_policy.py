"""pushd's confinement (policy/pushd.policy): TCP client sockets and
connect in the host's network namespace, nothing else of the network.
cloister-probe under the policy finds every network escape refused (a
unix, UDP or netlink socket, bind, listen, a connect or a TCP Fast Open
sendto to a port other than 443, 53 and the test port); without Landlock the connect to another port
goes through and a copy of the policy that allows listen lets it
(so the probe can fail); cloisterd refuses `network host` for any other
role; a running pushd passes cloister-audit."""
import re

from cloister_server import CloisterServer
from harness import policy, policy_copy, run, service_block, tool
from imap_util import need_stored
from lmtp_util import stored_block
from push_receiver import Receiver, vapid_key_file
from test_pushd import pushd_block

NET = (r"socket\(AF_UNIX\) of a TCP client's flags",
       r"socket\(AF_INET, SOCK_DGRAM\)", r"socket\(AF_NETLINK\)",
       r"bind a TCP client socket", r"listen on a TCP client socket",
       r"TCP Fast Open sendto a port not allowed",
       r"TCP client connect to a port not allowed")


def probe(path, *extra):
    r = run([tool("cloister-probe")] + list(extra) + [path], timeout=180)
    return r.returncode, r.stdout + r.stderr


def test_the_probe_finds_every_network_escape_refused():
    rc, out = probe(policy("pushd"))
    assert rc == 0 and "ALLOWED" not in out, out
    assert "netns host" in out, out
    for what in NET:
        assert re.search(what + r"\s+refused", out), what + "\n" + out


def test_landlock_alone_holds_the_port_and_the_probe_can_fail():
    if "net" not in probe(policy("pushd"))[1].split("landlock ABI", 1)[-1][:20]:
        print("SKIP: no Landlock ABI 4 here: seccomp and push_addr.c hold")
        return
    rc, out = probe(policy("pushd"), "--without", "landlock")
    assert rc == 1 and re.search(NET[-1] + r"\s+ALLOWED", out), out
    assert re.search(NET[-2] + r"\s+ALLOWED", out), out
    weak = policy_copy("pushd", lambda t: t.replace(
        "syscall connect ", "syscall listen connect "))
    rc, out = probe(weak)
    assert rc == 1 and re.search(NET[4] + r"\s+ALLOWED", out), out


def test_network_host_is_for_role_push_only():
    imapd = service_block("imapd", "connection", "@bin:cloister-imapd@",
                          "imapd", ("imap tcp 127.0.0.1:@port:imap@ plain",))
    edit = {"imapd": lambda t: t + "\nnetwork host\n"}
    with CloisterServer([stored_block(), imapd], policy_edits=edit) as srv:
        try:
            srv.start()
            raise AssertionError("cloisterd started")
        except RuntimeError as e:
            assert "'network host' is for role push only" in str(e), e


def test_a_running_pushd_passes_the_audit():
    if not need_stored():
        return
    with Receiver() as rcv:
        _, vpath = vapid_key_file(rcv.tmp)
        with CloisterServer([stored_block(), pushd_block(rcv, vpath)]) as srv:
            srv.start()
            srv.wait_ready()
            pid = srv.children("pushd")[0].pid
            r = srv.audit()
            assert r.returncode == 0, r.stdout + r.stderr
            assert "pushd pid %d " % pid in r.stdout, r.stdout
