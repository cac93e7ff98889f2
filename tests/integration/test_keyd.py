"""cloister-keyd (docs/keyd.md), driven directly over hand-made channels as
the supervisor and the workers would: it signs a TLS 1.3 server
CertificateVerify and a TLS 1.2 ECDHE ServerKeyExchange, with ECDSA and RSA
keys, by certificate name; it refuses anything else, and a second request
from one worker instance, and logs each refusal; it is confined; its memory
holds the private key (the scan the worker-side test runs on imapd can
find it)."""
import os
import re
import subprocess
import tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

import auth_util
from auth_util import ERROR, T, s, send, u32, recv
from cloister_ipc import b as by
from harness import policy_copy, service_block, tool

KEY_SIGN, KEY_SIGNATURE = T["KEY_SIGN"], T["KEY_SIGNATURE"]
ERR_DENIED, ERR_UNEXPECTED = 3, 2

CV_CONTEXT = b"TLS 1.3, server CertificateVerify"


def cert_pair(d, name, kind):
    """(chain, key) files: a self-signed certificate and its key."""
    key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
    alg = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" \
        else ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "2", "-subj",
                    "/CN=" + name, "-keyout", key, "-out", crt] + alg,
                   check=True, capture_output=True)
    return crt, key


def cv_input(hashlen=32, context=CV_CONTEXT):
    return b"\x20" * 64 + context + b"\0" + os.urandom(hashlen)


def ske_input(group=23, plen=65):
    point = (b"\x04" if group < 29 else b"") + os.urandom(plen - (1 if group < 29 else 0))
    return os.urandom(64) + bytes([3, group >> 8, group & 0xff, plen]) + point


class Keyd(auth_util.Authd):
    """cloister-keyd with a temp root, config (an ECDSA 'default' and an
    RSA 'rsa.example.org') and policy; the control channel speaks CTL_PEER
    from the first record (keyd takes no CTL_KEY)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="cloister-keyd-")
        os.chmod(self.tmp, 0o755)
        self.ec = cert_pair(self.tmp, "default", "ec")
        self.rsa = cert_pair(self.tmp, "rsa.example.org", "rsa")
        self.root = tempfile.mkdtemp(prefix="cloister-keydroot-")
        os.chmod(self.root, 0o755)
        root = self.root
        self.policy = policy_copy("keyd", lambda t: re.sub(
            r"^root\s+\S+", "root          " + root, t, flags=re.M))
        self.state = self.tmp
        self.config = os.path.join(self.tmp, "cloister.conf")
        with open(self.config, "w") as f:
            f.write("state-dir %s\nruntime-dir %s\npolicy-dir %s\n" %
                    (self.tmp, self.tmp, os.path.dirname(self.policy)))
            f.write(service_block("keyd", "key", tool("cloister-keyd"), "keyd", options={
                "cert1": "default %s %s" % self.ec,
                "cert2": "rsa.example.org %s %s" % self.rsa}) + "\n")
        self.key = None
        self.log_lines, self.stats, self.proc = [], [], None
        self.binary, self.service = tool("cloister-keyd"), "keyd"

    def start(self):
        return super().start(send_key=False)

    def public(self, pair):
        with open(pair[0], "rb") as f:
            from cryptography import x509
            return x509.load_pem_x509_certificate(f.read()).public_key()


def sign(w, name, scheme, data):
    w.reqid += 1
    send(w.sock, KEY_SIGN, s(name) + u32(scheme) + by(data), w.reqid)
    return recv(w.sock)


def test_it_signs_tls_shaped_inputs_with_ecdsa_and_rsa_by_name():
    with Keyd() as k:
        cases = [("default", 0x0403, cv_input(32), k.ec, ec.ECDSA(hashes.SHA256())),
                 ("default", 0x0503, ske_input(29, 32), k.ec, ec.ECDSA(hashes.SHA384())),
                 ("RSA.example.org", 0x0804, cv_input(48), k.rsa, "pss"),
                 ("rsa.example.org", 0x0401, ske_input(24, 97), k.rsa, "pkcs1")]
        for name, scheme, data, pair, how in cases:
            typ, _, f = sign(k.worker(addr=None), name, scheme, data)
            assert typ == KEY_SIGNATURE, (name, hex(scheme), f, k.log())
            pub = k.public(pair)
            if how == "pss":
                pub.verify(f[0], data, padding.PSS(padding.MGF1(hashes.SHA256()),
                                                   padding.PSS.DIGEST_LENGTH), hashes.SHA256())
            elif how == "pkcs1":
                pub.verify(f[0], data, padding.PKCS1v15(), hashes.SHA256())
            else:
                pub.verify(f[0], data, how)
        assert k.alive()


def test_a_second_signature_is_refused_and_logged():
    with Keyd() as k:
        w = k.worker(addr=None)
        assert sign(w, "default", 0x0403, cv_input())[0] == KEY_SIGNATURE
        typ, _, f = sign(w, "default", 0x0403, cv_input())
        assert typ == ERROR and f[0] == ERR_DENIED, f
        assert k.wait_log(r"imapd/\d+: a second key_sign from one instance; refused"), k.log()
        # another instance still gets its one
        assert sign(k.worker(addr=None), "default", 0x0403, cv_input())[0] == KEY_SIGNATURE


def test_inputs_that_are_not_tls_shaped_are_refused_and_logged():
    bad = [("32 random bytes", "default", 0x0403, os.urandom(32)),
           ("a client CertificateVerify", "default", 0x0403,
            cv_input(32, b"TLS 1.3, client CertificateVerify")),
           ("a transcript hash of 20 bytes", "default", 0x0403, cv_input(20)),
           ("a point one byte short", "default", 0x0403, ske_input(23, 64)),
           ("a compressed NIST point", "default", 0x0403,
            os.urandom(64) + bytes([3, 0, 23, 65, 2]) + os.urandom(64)),
           ("an explicit curve", "default", 0x0403,
            os.urandom(64) + bytes([1, 0, 23, 65, 4]) + os.urandom(64)),
           ("SHA-1", "default", 0x0203, cv_input()),
           ("an RSA scheme for the ECDSA key", "default", 0x0804, cv_input()),
           ("PKCS#1 in TLS 1.3", "rsa.example.org", 0x0401, cv_input()),
           ("an unknown certificate", "other.example.org", 0x0403, cv_input())]
    with Keyd() as k:
        for what, name, scheme, data in bad:
            typ, _, f = sign(k.worker(addr=None), name, scheme, data)
            assert typ == ERROR and f[0] == ERR_DENIED, (what, typ, f)
        # the log is read by a thread: the last lines may still be on
        # their way
        assert wait_for(lambda: len([l for l in k.log_lines
                                     if "; refused" in l]) >= len(bad),
                        10.0), k.log()
        # another type: refused as unexpected, the channel stays
        w = k.worker(addr=None)
        send(w.sock, T["PING"], b"x", 7)
        typ, _, f = recv(w.sock)
        assert typ == ERROR and f[0] == ERR_UNEXPECTED, f
        assert k.wait_log(r"unexpected ping from imapd; refused"), k.log()
        assert sign(w, "default", 0x0403, cv_input())[0] == KEY_SIGNATURE
        assert k.alive()


def test_a_record_of_another_ipc_version_closes_the_channel():
    with Keyd() as k:
        w = k.worker(addr=None)
        send(w.sock, KEY_SIGN, s("default") + u32(0x0403) + by(cv_input()), 1,
             version=auth_util.IPC_VERSION + 1)
        assert recv(w.sock, 5) is None      # closed, no reply
        assert k.wait_log(r"IPC version %d from peer, expected %d; closing its channel" % (
            auth_util.IPC_VERSION + 1, auth_util.IPC_VERSION)), k.log()
        assert sign(k.worker(addr=None), "default", 0x0403, cv_input())[0] == KEY_SIGNATURE


def test_a_ctl_key_ends_keyd():
    with Keyd() as k:
        send(k.ctl, T["CTL_KEY"], u32(auth_util.IPC_VERSION) + by(b"k" * 32))
        k.proc.wait(timeout=10)
        assert k.proc.returncode != 0
        assert k.wait_log(r"unexpected ctl_key"), k.log()


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def test_keyd_is_confined():
    with Keyd() as k:
        st = proc_status(k.proc.pid)
        assert len(set(st["Uid"].split())) == 1 and st["Uid"].split()[0] != "0"
        for cap in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
            assert int(st[cap], 16) == 0, (cap, st[cap])
        assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
        assert os.readlink("/proc/%d/root" % k.proc.pid) == k.root


def memory_holds(pid, needles):
    """Which of needles occur in pid's readable memory (/proc/PID/mem),
    read in 1 MiB windows that overlap by the longest needle. Regions over
    1 GiB are a sanitizer's shadow, never a heap these tests make."""
    found, overlap = set(), max(len(n) for n in needles)
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            addr, perms = line.split()[:2]
            lo, hi = (int(x, 16) for x in addr.split("-"))
            if not perms.startswith("r") or hi - lo > 1 << 30:
                continue
            tail = b""
            for at in range(lo, hi, 1 << 20):
                try:
                    mem.seek(at)
                    chunk = tail + mem.read(min(1 << 20, hi - at))
                except (OSError, ValueError):
                    break
                found |= {n for n in needles if n in chunk}
                tail = chunk[-overlap:]
    return found


def key_needles(pair):
    """The private key's secret bytes: an EC scalar or an RSA prime p, and
    the DER of the key file."""
    with open(pair[1], "rb") as f:
        pem = f.read()
    key = serialization.load_pem_private_key(pem, None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    nums = key.private_numbers()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        secret = nums.private_value.to_bytes(32, "big")
    else:
        p = nums.p
        secret = p.to_bytes((p.bit_length() + 7) // 8, "big")
    # OpenSSL keeps bignums in little-endian words: look for either order
    return {"secret": secret, "secret-le": secret[::-1], "der": der}


def test_the_scan_finds_the_key_in_keyd():
    with Keyd() as k:
        for pair in (k.ec, k.rsa):
            n = key_needles(pair)
            found = memory_holds(k.proc.pid, set(n.values()))
            assert n["secret"] in found or n["secret-le"] in found, pair


# ---- through cloisterd: imapd signs through keyd ----

import socket  # noqa: E402
import ssl  # noqa: E402
import time  # noqa: E402

from harness import wait_for  # noqa: E402
from imap_util import ImapServer, client_context, need_stored  # noqa: E402


def imap_server():
    """cloisterd with keyd holding an ECDSA 'default' (imap_util's) and an
    RSA certificate for rsa.example.org (chosen by SNI)."""
    d = tempfile.mkdtemp(prefix="cloister-keydcerts-")
    os.chmod(d, 0o755)
    rsa = cert_pair(d, "rsa.example.org", "rsa")
    srv = ImapServer(spares=1, more_certs=[("rsa.example.org",) + rsa])
    srv.rsa, srv.rsa_dir = rsa, d
    return srv


def handshake(port, version, sni=None):
    """(protocol, the server certificate's DER, the peer's greeting)."""
    ctx = client_context()
    ctx.minimum_version = ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname=sni) as t:
        greeting = t.recv(512)
        return t.version(), t.getpeercert(binary_form=True), greeting


def der_of(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def test_clients_connect_over_tls_1_2_and_1_3_with_ecdsa_rsa_and_sni():
    with imap_server() as srv:
        port = srv.port("imaps")
        ec_der, rsa_der = der_of(srv.cert), der_of(srv.rsa[0])
        for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                              (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
            for sni, der in ((None, ec_der), ("rsa.example.org", rsa_der),
                             ("RSA.Example.org", rsa_der), ("other.example", ec_der)):
                proto, got, greeting = handshake(port, version, sni)
                assert proto == name and got == der, (version, sni, proto)
                assert greeting.startswith(b"* OK"), greeting
        # the openssl CLI, both versions, by SNI
        for flag, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            r = subprocess.run(["openssl", "s_client", flag, "-connect",
                                "127.0.0.1:%d" % port, "-servername", "rsa.example.org",
                                "-brief"], input=b"a LOGOUT\r\n", capture_output=True,
                               timeout=30)
            out = (r.stdout + r.stderr).decode(errors="replace")
            assert "Peer certificate: CN = rsa.example.org" in out and \
                "Protocol version: " + name in out, out
        # curl imaps:// and imaplib, logged in
        r = subprocess.run(["curl", "-sk", "--max-time", "20", "-u", "alice:wonderland",
                            "imaps://127.0.0.1:%d/" % port], capture_output=True, timeout=30)
        assert r.returncode == 0 and b"INBOX" in r.stdout, r
        m = srv.login(kind="tls")
        assert m.select("INBOX")[0] == "OK"
        m.logout()


def test_tls_1_2_offers_only_forward_secret_key_exchange():
    with imap_server() as srv:
        ctx = client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("kRSA")    # RSA key transport only
        with socket.create_connection(("127.0.0.1", srv.port("imaps")), timeout=10) as raw:
            try:
                ctx.wrap_socket(raw, server_hostname="rsa.example.org").close()
                assert False, "an RSA key transport suite was accepted"
            except ssl.SSLError:
                pass


def keyd_pid(srv):
    kids = srv.srv.children("keyd")
    assert len(kids) == 1, kids
    return kids[0].pid


def test_no_imapd_holds_the_private_key_and_keyd_does():
    with imap_server() as srv:
        needles = {}
        for pair in ((srv.cert, srv.key), srv.rsa):
            n = key_needles(pair)
            with open(pair[1], "rb") as f:
                n["pem"] = f.read().split(b"\n")[1]   # a line of the PEM body
            needles.update({(pair[1], k): v for k, v in n.items()})
        # one pre-login, one logged in, one in IDLE, and the spares
        pre = srv.raw(kind="imaps")
        pre.line()
        logged = srv.raw_login()
        idler = srv.raw_login()
        idler.send(b"I1 IDLE\r\n")
        assert idler.line().startswith(b"+"), "no IDLE continuation"
        # the spare that replaces the last one taken
        assert wait_for(lambda: len(srv.imapd_pids()) >= 4, 10), srv.imapd_pids()
        time.sleep(0.5)
        pids = srv.imapd_pids()
        for pid in pids:
            found = memory_holds(pid, set(needles.values()))
            assert not found, "imapd %d holds %s" % (
                pid, [k for k, v in needles.items() if v in found])
        found = memory_holds(keyd_pid(srv), set(needles.values()))
        for key in (srv.key, srv.rsa[1]):
            assert needles[(key, "secret")] in found or \
                needles[(key, "secret-le")] in found, "the scan misses keyd's " + key
        for c in (pre, logged, idler):
            c.close()


# ---- under cloisterd: the wiring ----

import signal  # noqa: E402

from supervisor_util import STORED, block, imapd  # noqa: E402
from test_supervisor_config import refused  # noqa: E402


def test_a_keyd_channel_without_keyd_and_two_keyds_are_refused():
    refused([STORED, imapd(options={"keyd": "yes"})], "service imapd",
            "service imapd: 'set keyd yes' but no service has role key")
    k1 = block("keyd", "key", "keyd")
    k2 = block("keyd2", "key", "keyd")
    refused([STORED, k1, k2], "service keyd2",
            "service keyd2: only one service may have role key (keyd has it)")
    # the error names the block's last line, where the check runs
    refused([block("keyd", "key", "keyd", ["x tcp 127.0.0.1:@port:x@ plain"]), STORED],
            "}", "service keyd: role key takes no listeners")


def imapd_log(srv, pattern, timeout=10):
    return srv.srv.wait_log(pattern, timeout)


def test_keyd_runs_under_its_own_id_and_comes_back_after_kill_9():
    with imap_server() as srv:
        pid = keyd_pid(srv)
        with open("/proc/%d/status" % pid) as f:
            st = f.read()
        uid = re.search(r"^Uid:\s+(\d+)", st, re.M).group(1)
        assert uid != "0" and re.search(r"^Seccomp:\s+2", st, re.M)
        assert uid not in [re.search(r"^Uid:\s+(\d+)", open("/proc/%d/status" % p).read(),
                                     re.M).group(1) for p in srv.imapd_pids()]
        # the audit compares the live tree, keyd included, with the policies
        r = srv.srv.audit()
        assert r.returncode == 0 and ", 0 drifts" in r.stdout, r.stdout + r.stderr
        spares = set(srv.imapd_pids())
        os.kill(pid, signal.SIGKILL)
        # back, and the spares that held a channel to the dead one replaced
        assert wait_for(lambda: [c.pid for c in srv.srv.children("keyd")] not in
                        ([], [pid]), 10), srv.srv.log[-20:]
        assert wait_for(lambda: srv.imapd_pids() and
                        not spares & set(srv.imapd_pids()), 10), srv.imapd_pids()
        proto, _, greeting = handshake(srv.port("imaps"), ssl.TLSVersion.TLSv1_3)
        assert proto == "TLSv1.3" and greeting.startswith(b"* OK")


def test_with_keyd_imapd_refuses_a_key_file_and_without_it_warns():
    srv = ImapServer(spares=1, imapd_options={"tls-key": "/nonexistent/key.pem"})
    try:
        srv.srv.start()
        assert srv.srv.wait_log(r"'set keyd yes' and tls-key: with keyd no imapd"
                                r" loads a private key", 20), srv.srv.log[-20:]
    finally:
        srv.close()
    with ImapServer(spares=1, keyd=False) as srv:
        assert srv.srv.wait_log(r"tls-key: the private key is in every imapd", 10)
        proto, _, _ = handshake(srv.port("imaps"), ssl.TLSVersion.TLSv1_3)
        assert proto == "TLSv1.3"
