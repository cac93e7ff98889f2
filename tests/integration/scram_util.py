"""SCRAM-SHA-256's server side (RFC 5802, RFC 7677) with hashlib, and an
SMTP sink (submit_util.Sink) that offers AUTH SCRAM-SHA-256 after
STARTTLS and takes a transaction only from a client that proved it knows
the password: the relay submitd authenticates to in the tests."""
import base64
import hashlib
import hmac
import os

from submit_util import Sink, SinkHandler

ITERATIONS = 4096


def salted_password(password, salt, i):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, i)


def keys(password, salt, i):
    """(StoredKey, ServerKey): what a relay keeps instead of the password."""
    sp = salted_password(password, salt, i)
    client_key = hmac.new(sp, b"Client Key", "sha256").digest()
    return (hashlib.sha256(client_key).digest(),
            hmac.new(sp, b"Server Key", "sha256").digest())


def proof(password, salt, i, auth_message):
    """(ClientProof, ServerSignature) as a client computes them."""
    sp = salted_password(password, salt, i)
    client_key = hmac.new(sp, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client_key).digest()
    sig = hmac.new(stored, auth_message, "sha256").digest()
    server_key = hmac.new(sp, b"Server Key", "sha256").digest()
    return (bytes(a ^ b for a, b in zip(client_key, sig)),
            hmac.new(server_key, auth_message, "sha256").digest())


class ScramServer:
    """One exchange. first(client-first) -> server-first;
    final(client-final) -> server-final, or None on a wrong proof."""

    def __init__(self, user, password, salt=None, i=ITERATIONS, bad_v=False):
        self.user, self.salt, self.i = user, salt or os.urandom(16), i
        self.stored, self.server_key = keys(password, self.salt, i)
        self.bad_v = bad_v

    def first(self, msg):
        assert msg.startswith(b"n,,"), msg      # no channel binding
        self.bare = msg[3:]
        attrs = dict(a.split(b"=", 1) for a in self.bare.split(b","))
        if attrs[b"n"] != self.user.encode():
            return None
        self.nonce = attrs[b"r"] + base64.b64encode(os.urandom(18))
        self.server_first = b"r=%s,s=%s,i=%d" % (
            self.nonce, base64.b64encode(self.salt), self.i)
        return self.server_first

    def final(self, msg):
        without, _, p = msg.rpartition(b",p=")
        if without != b"c=biws,r=" + self.nonce:
            return None
        am = self.bare + b"," + self.server_first + b"," + without
        sig = hmac.new(self.stored, am, "sha256").digest()
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(p), sig))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), self.stored):
            return None
        v = hmac.new(self.server_key, am, "sha256").digest()
        if self.bad_v:
            v = bytes(32)
        return b"v=" + base64.b64encode(v)


class ScramSink(Sink):
    """A relay that requires AUTH SCRAM-SHA-256 (after STARTTLS when
    tls is set) before MAIL, and offers DSN; offer=False leaves SCRAM out of EHLO (only
    PLAIN and LOGIN). auths counts the exchanges that succeeded, refused
    those with a wrong proof, clear the AUTH commands seen without TLS."""

    def __init__(self, user, password, tls=None, offer=True, bad_v=False,
                 i=ITERATIONS):
        self.user, self.password, self.offer = user, password, offer
        self.bad_v, self.iterations = bad_v, i
        self.auths = self.refused = self.clear = 0
        self.salt = os.urandom(16)        # one per relay, as a real one keeps
        Sink.__init__(self, tls=tls, dsn=True)
        self.RequestHandlerClass = ScramHandler


class ScramHandler(SinkHandler):
    def extensions(self):
        return ["AUTH SCRAM-SHA-256 PLAIN LOGIN" if self.server.offer
                else "AUTH PLAIN LOGIN"]

    def command(self, verb, cmd):
        if verb == "AUTH":
            self.auth(cmd.encode().split(b" "))
            return True
        if verb == "MAIL" and not getattr(self, "authed", False):
            self.line("530 5.7.0 authentication required")
            return True
        return False

    def auth(self, words):
        sink = self.server
        if not hasattr(self.connection, "cipher"):
            with sink.lock:
                sink.clear += 1
        if len(words) != 3 or words[1].upper() != b"SCRAM-SHA-256" or not sink.offer:
            self.line("504 5.5.4 mechanism not offered")
            return
        srv = ScramServer(sink.user, sink.password, sink.salt, sink.iterations,
                          sink.bad_v)
        sf = srv.first(base64.b64decode(words[2]))
        if sf is None:
            self.line("535 5.7.8 unknown user")
            return
        self.line("334 " + base64.b64encode(sf).decode())
        v = srv.final(base64.b64decode(self.rfile.readline(2000).rstrip(b"\r\n")))
        if v is None:
            with sink.lock:
                sink.refused += 1
            self.line("535 5.7.8 authentication failed")
            return
        self.line("334 " + base64.b64encode(v).decode())
        if self.rfile.readline(2000).rstrip(b"\r\n") != b"":
            self.line("501 5.5.2 expected an empty line")
            return
        self.authed = True
        with sink.lock:
            sink.auths += 1
        self.line("235 2.7.0 authenticated")
