"""The suites a TLS worker negotiates, end to end with `openssl s_client`:
each one tls.c offers (TLS 1.3's three; TLS 1.2 ECDHE with AES-GCM and
ChaCha20-Poly1305, with an ECDSA and an RSA certificate) completes a
handshake and carries the greeting, and suites it does not offer (TLS 1.2
CBC, RSA key transport, TLS 1.3 CCM) are refused. The workers fetch their
ciphers and digests from cloister-tls, an allow-list over the default
provider (workers/shared/tls_algs.c): a suite whose cipher or hash were
left off the list would fail here. Both modes: keyd signing (an ECDSA
default certificate and an RSA one chosen by SNI), and a key file."""
import subprocess

from imap_util import ImapServer, need_stored
from test_keyd import imap_server

TLS13 = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
         "TLS_CHACHA20_POLY1305_SHA256")
TLS12_ECDSA = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
               "ECDHE-ECDSA-CHACHA20-POLY1305")
TLS12_RSA = ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
             "ECDHE-RSA-CHACHA20-POLY1305")
REFUSED_12 = ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA",
              "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "AES256-SHA")
REFUSED_13 = ("TLS_AES_128_CCM_SHA256",)


def s_client(port, suite, sni=None):
    """The suite the server chose for a client offering only suite (None
    when the handshake failed), and whether the greeting came through."""
    tls13 = suite.startswith("TLS_")
    argv = ["openssl", "s_client", "-brief", "-ign_eof", "-connect", "127.0.0.1:%d" % port,
            "-tls1_3" if tls13 else "-tls1_2",
            "-ciphersuites" if tls13 else "-cipher", suite]
    if sni:
        argv += ["-servername", sni]
    r = subprocess.run(argv, input=b"a LOGOUT\r\n", capture_output=True,
                       timeout=30)
    out = (r.stdout + r.stderr).decode(errors="replace")
    chosen = None
    for line in out.splitlines():
        if line.startswith("Ciphersuite: "):
            chosen = line.split(": ", 1)[1].strip()
    return chosen, b"* OK" in r.stdout


def check_offered(port, suites, sni=None):
    for suite in suites:
        chosen, greeted = s_client(port, suite, sni)
        assert chosen == suite and greeted, (suite, sni, chosen, greeted)


def check_refused(port, suites, sni=None):
    for suite in suites:
        chosen, greeted = s_client(port, suite, sni)
        assert chosen is None and not greeted, (suite, sni, chosen)


def test_keyd_mode_negotiates_each_suite_it_offers_and_no_other():
    if not need_stored():
        return
    with imap_server() as srv:
        port = srv.port("imaps")
        check_offered(port, TLS13)
        check_offered(port, TLS13, "rsa.example.org")
        check_offered(port, TLS12_ECDSA)
        check_offered(port, TLS12_RSA, "rsa.example.org")
        check_refused(port, REFUSED_12)
        check_refused(port, REFUSED_12, "rsa.example.org")
        check_refused(port, REFUSED_13)
        print("  keyd: %d suites negotiated, %d refused" % (
            2 * len(TLS13) + len(TLS12_ECDSA) + len(TLS12_RSA),
            2 * len(REFUSED_12) + len(REFUSED_13)))


def test_key_file_mode_negotiates_each_suite_it_offers_and_no_other():
    if not need_stored():
        return
    with ImapServer(spares=1, keyd=False) as srv:
        port = srv.port("imaps")
        check_offered(port, TLS13)
        check_offered(port, TLS12_ECDSA)
        check_refused(port, REFUSED_12 + REFUSED_13)
