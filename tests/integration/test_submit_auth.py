"""AUTH towards the relay (relay-auth-user, relay-auth-secret-file):
submitd authenticates with SCRAM-SHA-256 after STARTTLS, and the proof
comes from keyd, which alone reads the password file. The relay here is
a sink that implements SCRAM's server side with hashlib and takes mail
only after a right proof. A wrong password file, a relay that offers no
SCRAM-SHA-256 or one that cannot prove it knows the password (v=) defers
the entry with a log line and sends nothing; submitd holds no fd of the
password file, its policy reads no file and cloister-audit passes it;
keyd refuses a password file that a group or other may read."""
import os
import signal
import tempfile

from cloister_server import CloisterServer
from harness import service_block
from lmtp_util import have_store, stored_block
from scram_util import ScramSink
from submit_util import Admin, queue, send_one, services, submitd_block
from test_supervisor_config import refused
from test_keyd import cert_pair
from test_submit_tls import certificate

USER, PASSWORD = "cloister@relay.test", "correct horse battery staple"


def secret_file(tmp, password, mode=0o600):
    path = os.path.join(tmp, "relay.secret")
    with open(path, "w") as f:
        f.write(password + "\n")
    os.chmod(path, mode)
    return path


def run(password=PASSWORD, mode=0o600, check=None, tls=True, **sink_args):
    """(sink, the outbox line, the log) after one message was queued; check
    (srv, secret path) runs while the server is up; tls=False: no
    STARTTLS (the relay is on loopback)."""
    tmp = tempfile.mkdtemp(prefix="cloister-scram-")
    os.chmod(tmp, 0o755)
    ctx, crt = certificate(tmp, "IP:127.0.0.1")
    sink = ScramSink(USER, PASSWORD, tls=ctx if tls else None, **sink_args)
    secret = secret_file(tmp, password, mode)
    keyd = service_block("keyd", "key", "@bin:cloister-keyd@", "keyd", options={
        "cert1": "default %s %s" % cert_pair(tmp, "default", "ec")})
    opts = {"relay-auth-user": USER, "relay-auth-secret-file": secret}
    if tls:
        opts.update({"relay-tls": "starttls", "relay-tls-ca": crt})
    srv = CloisterServer(services(sink.port, **opts) + [keyd])
    try:
        line = send_one(srv, b"Subject: hi\r\n\r\nauthenticated\r\n")
        if check is not None:
            check(srv, secret)
        return sink, line, srv.log
    finally:
        srv.close()
        sink.close()


def no_access(srv, secret):
    """submitd: no fd on the password file, a policy that opens no file,
    and cloister-audit passes the running tree."""
    [submitd] = srv.children("submitd")
    fds = os.listdir("/proc/%d/fd" % submitd.pid)
    targets = [os.readlink("/proc/%d/fd/%s" % (submitd.pid, fd)) for fd in fds]
    assert secret not in targets and not [t for t in targets if "secret" in t], targets
    with open(os.path.join(srv.policy_dir, "submitd.policy")) as f:
        assert any(l.split()[:2] == ["files", "none"] for l in f), "submitd reads files"
    assert "24" in fds, fds           # its channel to keyd: the proofs
    r = srv.audit()                   # confined as ever, keyd's channel or not
    assert r.returncode == 0 and "submitd pid %d " % submitd.pid in r.stdout, (
        r.stdout + r.stderr)


def test_scram_after_starttls_and_the_message_goes():
    if not have_store():
        return
    sink, line, log = run(check=no_access)
    assert "sent" in line, (line, log[-20:])
    assert sink.auths == 1 and sink.refused == 0 and sink.clear == 0, (
        sink.auths, sink.refused, sink.clear)
    assert len(sink.got) == 1 and sink.got[0][2] == b"Subject: hi\r\n\r\nauthenticated\r\n"
    # the EHLO's extensions outlive AUTH's replies: DSN parameters go
    assert "RET=HDRS" in sink.commands[0] and "NOTIFY=" in sink.commands[1], sink.commands
    assert not [l for l in log if "killed by signal 31" in l], log[-20:]   # SIGSYS
    assert not [l for l in log if PASSWORD in l]


def test_in_clear_only_to_a_relay_on_loopback():
    if not have_store():
        return
    sink, line, _ = run(tls=False)
    assert "sent" in line, line
    assert sink.auths == 1 and sink.clear == 1 and sink.tls_sessions == 0


def keyd_killed(srv, secret):
    """kill -9 keyd; a second message still goes (submitd, whose channel
    to keyd died, exits at its next AUTH and comes back with a new one)."""
    [keyd] = srv.children("keyd")
    mark = len(srv.log)
    os.kill(keyd.pid, signal.SIGKILL)
    assert srv.wait_log(r"keyd: pid \d+ instance \d+ ready", 20, mark), srv.log[mark:]
    queue(Admin(srv), "alice", ["carol@example.net"], b"Subject: again\r\n\r\nx\r\n")
    assert srv.wait_log(r"outbox 2: sent", 30, mark), srv.log[mark:]
    assert srv.wait_log(r"keyd: (no answer|channel lost); exiting", 1, mark), srv.log[mark:]


def test_after_keyd_dies_submitd_comes_back_and_sends():
    if not have_store():
        return
    sink, line, _ = run(check=keyd_killed)
    assert "sent" in line and sink.auths == 2 and len(sink.got) == 2, (
        line, sink.auths, sink.got)


def test_a_wrong_password_file_is_refused_and_nothing_sent():
    if not have_store():
        return
    sink, line, _ = run(password="not the password")
    assert "deferred" in line and "535" in line, line
    assert sink.refused >= 1 and sink.auths == 0 and sink.got == []


def test_a_relay_without_scram_defers_and_no_plain_is_tried():
    if not have_store():
        return
    sink, line, _ = run(offer=False)
    assert "deferred" in line and "no SCRAM-SHA-256" in line, line
    assert sink.got == [] and sink.auths == 0 and sink.refused == 0


def test_a_relay_that_cannot_prove_the_password_is_dropped():
    if not have_store():
        return
    sink, line, _ = run(bad_v=True)
    assert "deferred" in line and "ServerSignature does not match" in line, line
    assert sink.got == []


def test_keyd_refuses_a_password_file_others_may_read():
    if not have_store():
        return
    try:
        run(mode=0o640)
    except (AssertionError, RuntimeError) as e:
        text = str(e)
    else:
        raise AssertionError("keyd started with a group-readable password file")
    assert "readable by no group or other" in text, text[-2000:]


def test_cloisterd_refuses_auth_in_clear_to_a_remote_relay_or_without_keyd():
    auth = {"relay-auth-user": USER, "relay-auth-secret-file": "/nonexistent"}
    keyd = service_block("keyd", "key", "@bin:cloister-keyd@", "keyd")
    remote = submitd_block(25, **auth).replace("127.0.0.1:25", "192.0.2.25:25")
    refused([remote, stored_block(), keyd], "service submitd",
            "service submitd: relay-auth-user needs 'set relay-tls starttls'"
            " (AUTH in clear only to a relay on loopback)")
    refused([submitd_block(25, **{"relay-auth-user": USER}), stored_block(), keyd], "service submitd",
            "service submitd: relay-auth-user and relay-auth-secret-file go together")
    refused([submitd_block(25, **auth), stored_block()], "service submitd",
            "service submitd: relay-auth-user (keyd computes its proofs) but no"
            " service has role key")
