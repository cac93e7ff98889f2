"""STARTTLS to the relay (relay-tls starttls): the transaction goes over
TLS to a relay whose certificate the configured CA signed for its
address; a certificate for another name, or a relay that offers no
STARTTLS, defers the message instead of sending it in the clear."""
import os
import ssl
import subprocess
import tempfile

from cloister_server import CloisterServer
from harness import wait_for
from lmtp_util import have_store
from submit_util import Sink, send_one, services


def certificate(tmp, san):
    key, crt = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-keyout", key,
                    "-out", crt, "-subj", "/CN=relay.test", "-addext",
                    "subjectAltName=" + san], check=True, capture_output=True)
    os.chmod(crt, 0o644)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    return ctx, crt


def run(san, offer=True):
    """(sink, server log) after one message was queued and handled."""
    tmp = tempfile.mkdtemp(prefix="cloister-tls-")
    os.chmod(tmp, 0o755)
    ctx, crt = certificate(tmp, san)
    sink = Sink(tls=ctx if offer else None)
    srv = CloisterServer(services(sink.port, **{"relay-tls": "starttls",
                                                "relay-tls-ca": crt}))
    try:
        line = send_one(srv, b"Subject: secret\r\n\r\nover TLS\r\n")
        return sink, line, srv.log
    finally:
        srv.close()
        sink.close()


def test_the_message_goes_over_tls_to_a_verified_relay():
    if not have_store():
        return
    sink, line, log = run("IP:127.0.0.1")
    assert "sent" in line, line
    assert sink.tls_sessions == 1 and len(sink.got) == 1, (sink.tls_sessions, sink.got)
    assert sink.got[0][2] == b"Subject: secret\r\n\r\nover TLS\r\n"
    assert not [l for l in log if "killed by signal 31" in l], log[-20:]   # SIGSYS


def test_a_certificate_for_another_name_defers_and_sends_nothing():
    if not have_store():
        return
    sink, line, _ = run("DNS:elsewhere.test")
    assert "deferred" in line and "STARTTLS" in line, line
    assert sink.got == [], sink.got


def test_a_relay_without_starttls_defers_and_sends_nothing():
    if not have_store():
        return
    sink, line, _ = run("IP:127.0.0.1", offer=False)
    assert "deferred" in line and "no STARTTLS" in line, line
    assert sink.got == [], sink.got
