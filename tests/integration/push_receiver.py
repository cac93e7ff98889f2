"""A loopback Web Push service for the push tests: HTTPS with a test CA
(certificate for 127.0.0.1), records each POST, answers by path (/gone:
410, /busy: 429 with Retry-After 7, else 201), and the user agent's side
of RFC 8291 (decrypt) and RFC 8292 (check the VAPID token), with the
`cryptography` module (python3-cryptography)."""
import base64
import datetime
import ipaddress
import json
import os
import shutil
import socket
import ssl
import struct
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

PORTS = range(24500, 24600)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def point(key):
    return key.public_key().public_bytes(
        serialization.Encoding.X962,
        serialization.PublicFormat.UncompressedPoint)


def _cert(subject, issuer_key, key, ca, san=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                     subject)]))
         .issuer_name(x509.Name([x509.NameAttribute(
             NameOID.COMMON_NAME, ca or subject)]))
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca is None, path_length=None),
                        critical=True))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def make_ca(d, name="Cloister push test CA"):
    """A CA and a certificate for 127.0.0.1 it signed: (ca.pem, cert, key)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(name, ca_key, ca_key, None)
    key = ec.generate_private_key(ec.SECP256R1())
    crt = _cert("127.0.0.1", ca_key, key, name,
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.DNSName("push.test")])
    paths = [os.path.join(d, n) for n in (name[:4] + "ca.pem", "srv.pem",
                                          "srv.key")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(crt.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


class Receiver:
    """The push service: start() binds a port of PORTS on 127.0.0.1."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="cloister-push-")
        self.ca, cert, key = make_ca(self.tmp)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.got = []
        self.lock = threading.Lock()

    def start(self):
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.got.append((self.path, dict(self.headers), body))
                status = {"/gone": 410, "/busy": 429}.get(self.path, 201)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "7")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass
        for port in PORTS:
            try:
                self.srv = HTTPServer(("127.0.0.1", port), H)
                break
            except OSError:
                continue
        self.port = self.srv.server_address[1]
        self.srv.socket = self.ctx.wrap_socket(self.srv.socket,
                                               server_side=True)
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()
        return self

    def url(self, path):
        return "https://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class UserAgent:
    """A browser's push keys: p256dh and auth, and RFC 8291 decryption."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64u(point(self.key))
        self.auth_b64 = b64u(self.auth)

    def decrypt(self, body):
        salt, rs, idlen = body[:16], struct.unpack(">I", body[16:20])[0], body[20]
        as_pub = body[21:21 + idlen]
        rec = body[21 + idlen:]
        assert idlen == 65 and len(rec) <= rs, (idlen, rs, len(rec))
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                            as_pub)
        secret = self.key.exchange(ec.ECDH(), peer)
        prk_key = _hmac(self.auth, secret)
        ikm = _hmac(prk_key, b"WebPush: info\0" + point(self.key) + as_pub
                    + b"\x01")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\0\x01")[:16]
        nonce = _hmac(prk, b"Content-Encoding: nonce\0\x01")[:12]
        plain = AESGCM(cek).decrypt(nonce, rec, None)
        assert plain.endswith(b"\x02"), plain[-4:]   # the last record
        return plain[:-1]


def _hmac(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def check_vapid(authorization, origin, vapid_key):
    """The claims of a valid `vapid t=JWT, k=KEY` for origin."""
    assert authorization.startswith("vapid t="), authorization
    jwt, k = authorization[len("vapid t="):].split(", k=")
    assert k == b64u(point(vapid_key)), "k= is not the VAPID public key"
    head, claims, sig = jwt.split(".")
    assert json.loads(unb64u(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64u(sig)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                               int.from_bytes(raw[32:], "big"))
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                       unb64u(k))
    pub.verify(der, (head + "." + claims).encode(),
               ec.ECDSA(hashes.SHA256()))
    c = json.loads(unb64u(claims))
    assert c["aud"] == origin, (c, origin)
    return c


def vapid_key_file(d):
    key = ec.generate_private_key(ec.SECP256R1())
    path = os.path.join(d, "vapid.pem")
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return key, path


class Resolver:
    """DNS over TCP on 127.0.0.1 (a port of PORTS): A records of names
    (name -> dotted quad), NXDOMAIN for the rest; counts the queries."""

    def __init__(self, names):
        self.names = names
        self.queries = 0
        for port in PORTS:
            try:
                self.sock = socketserver_bind(port)
                self.port = port
                break
            except OSError:
                continue
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                self._answer(c)

    def _answer(self, c):
        head = c.recv(2)
        if len(head) < 2:
            return
        q = b""
        while len(q) < struct.unpack(">H", head)[0]:
            q += c.recv(512)
        self.queries += 1
        qid, labels, off = q[:2], [], 12
        while q[off]:
            labels.append(q[off + 1:off + 1 + q[off]].decode())
            off += 1 + q[off]
        qtype = struct.unpack(">H", q[off + 1:off + 3])[0]
        addr = self.names.get(".".join(labels).lower())
        question = q[12:off + 5]
        if addr is None or qtype != 1:
            flags, ans = 0x8183 if addr is None else 0x8180, b""
            count = 0
        else:
            flags, count = 0x8180, 1
            ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + \
                bytes(int(x) for x in addr.split("."))
        msg = qid + struct.pack(">HHHHH", flags, 1, count, 0, 0) + \
            question + ans
        c.sendall(struct.pack(">H", len(msg)) + msg)

    def close(self):
        self.sock.close()


def socketserver_bind(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    s.listen(4)
    return s

