"""Helpers for the IMAP tests: a real cloisterd with authd, stored and
imapd (tests/integration/cloister_server.py), a test certificate made with
the openssl CLI, users in authd's sasldb2 (saslpasswd2), imaplib clients,
and a raw line client for the malformed-input corpus.

    with ImapServer(users={"alice": "pw"}) as srv:
        m = srv.login("alice", "pw")            # imaplib over STARTTLS
        m.select("INBOX")
"""
import imaplib
import os
import re
import select
import socket
import ssl
import subprocess
import tempfile
import time

from auth_util import ERROR, OK, REALM, make_sasldb, recv, send
from auth_util import s as sfield
from cloister_ipc import T, store_shard_of
from cloister_server import CloisterServer
from harness import service_block, tool
from lmtp_util import stored_block


def make_cert(directory):
    """A self-signed P-256 certificate for localhost; (cert, key) paths."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
         "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    os.chmod(key, 0o600)
    return cert, key


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


IMAP_LISTENS = ("imap tcp 127.0.0.1:@port:imap@ starttls",
                "imaps tcp 127.0.0.1:@port:imaps@ tls",
                "plain tcp 127.0.0.1:@port:plain@ plain")


# Before stored is merged, a stored built elsewhere can be named:
# CLOISTER_STORED_SRC=/path/to/a/tree/with/build (its binary and its
# stored.policy are used).
STORED_SRC = os.environ.get("CLOISTER_STORED_SRC")


def stored_binary():
    if STORED_SRC:
        return os.path.join(STORED_SRC, "build", "store", "cloister-stored")
    try:
        return tool("cloister-stored")
    except FileNotFoundError:
        return None


def have_stored():
    return stored_binary() is not None


class ImapServer:
    """cloisterd + authd + stored + imapd in temporary directories."""

    def __init__(self, users=None, spares=2, maxproc=100, maxip=50,
                 prelogin=60, maxprelogin=None, imapd_options=None, options=None,
                 policy_edits=None, delay_ms=200, shards=1,
                 extra_services=(), cert=None, stored_options=None, keyd=True,
                 more_certs=(), authd_options=None, backlog=None,
                 keyd_options=None):
        self.users = dict(users or {"alice": "wonderland"})
        self.certdir = tempfile.mkdtemp(prefix="cloister-imapcert-")
        os.chmod(self.certdir, 0o755)
        self.cert, self.key = cert if cert else make_cert(self.certdir)
        stored = stored_binary() or "@standin:cloister-stored@"
        edits = dict(policy_edits or {})
        if STORED_SRC:
            with open(os.path.join(STORED_SRC, "policy",
                                   "stored.policy")) as f:
                theirs = f.read()
            mine = edits.get("stored")

            def stored_policy(t, theirs=theirs, mine=mine):
                root = re.search(r"^root\s+\S+", t, re.M).group(0)
                t = re.sub(r"^root\s+\S+", root, theirs, flags=re.M)
                return mine(t) if mine else t
            edits["stored"] = stored_policy
        policy_edits = edits
        authd = service_block("authd", "auth", "@bin:cloister-authd@", "authd",
                              options={"realm": REALM,
                                       "failure-delay-ms": delay_ms,
                                       "max-failures-per-address": 0,
                                       "max-failures-per-user": 0,
                                       **(authd_options or {})})
        imapd = service_block("imapd", "connection", "@bin:cloister-imapd@",
                              "imapd", IMAP_LISTENS, settings={
                                  "spares": spares, "max-processes": maxproc,
                                  "max-per-ip": maxip,
                                  "prelogin-timeout": prelogin,
                                  "max-prelogin": maxprelogin,
                                  "backlog": backlog},
                              options={"auth": "yes", "keyd": "yes" if keyd else None,
                                       **(imapd_options or {})})
        services = [authd, stored_block(stored, stored_options), imapd] + \
            list(extra_services)
        # the private keys live in keyd (docs/keyd.md): every TLS test goes
        # through it; keyd=False keeps the old tls-cert/tls-key in imapd
        certs = [("default", self.cert, self.key)] + list(more_certs)
        if keyd:
            services.append(service_block("keyd", "key", "@bin:cloister-keyd@", "keyd",
                                          options=dict({"cert%d" % (i + 1): "%s %s %s" % c
                                                        for i, c in enumerate(certs)},
                                                       **(keyd_options or {}))))
        opts = {} if keyd else {"tls-cert": self.cert, "tls-key": self.key}
        opts.update(options or {})
        self.srv = CloisterServer(services, options=opts, shards=shards,
                                  policy_edits=policy_edits)
        self.sasldb = os.path.join(self.srv.roots["authd"], "sasldb2")
        make_sasldb(self.sasldb, self.users)
        self.shards = shards

    def start(self, store_users=True):
        self.srv.start()
        self.srv.wait_ready(timeout=30)
        if store_users and have_stored():
            for u in self.users:
                self.store_user(u)
        return self

    def shard_of(self, user):
        return store_shard_of(user, self.shards)

    def store_user(self, user):
        """Create the user's store (STORE_ADM_USER_CREATE) with the default
        mailboxes, as cloisterctl user add does."""
        path = os.path.join(self.srv.run_dir,
                            "store-admin.%d.sock" % self.shard_of(user))
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(10)
            s.connect(path)
            send(s, T["STORE_ADM_USER_CREATE"], sfield(user))
            r = recv(s)
        assert r is not None and r[0] in (OK, ERROR), r
        return r[0] == OK

    def close(self):
        self.srv.close()
        subprocess.run(["rm", "-rf", self.certdir])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def add_user(self, name, password):
        self.users[name] = password
        make_sasldb(self.sasldb, {name: password})

    def port(self, name="imap"):
        return self.srv.port(name)

    # ---- clients ----

    def imap(self, kind="starttls", timeout=30):
        """An imaplib client, not logged in: starttls (after STARTTLS),
        tls (implicit), plain (loopback plaintext listener), clear
        (STARTTLS listener, no STARTTLS)."""
        if kind == "tls":
            m = imaplib.IMAP4_SSL("127.0.0.1", self.port("imaps"),
                                  ssl_context=client_context(),
                                  timeout=timeout)
        elif kind == "plain":
            m = imaplib.IMAP4("127.0.0.1", self.port("plain"), timeout=timeout)
        else:
            m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=timeout)
            if kind == "starttls":
                m.starttls(ssl_context=client_context())
        return m

    def login(self, user="alice", password=None, kind="starttls"):
        m = self.imap(kind)
        m.login(user, password if password is not None else self.users[user])
        return m

    def raw(self, kind="plain", timeout=10):
        return RawClient(self.port(kind), tls=(kind == "imaps"),
                         timeout=timeout)

    def raw_login(self, user="alice", kind="imaps", timeout=10):
        """A RawClient, logged in (LOGIN over implicit TLS by default)."""
        c = self.raw(kind, timeout)
        out = c.cmd("L0", "LOGIN %s %s" % (quote(user), quote(self.users[user])))
        assert out[-1] is not None and out[-1].startswith(b"L0 OK"), out
        return c

    def imapd_pids(self):
        return [c.pid for c in self.srv.children("imapd")]


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def need_stored():
    """False (and a note) when no stored binary exists to test against."""
    if have_stored():
        return True
    print("SKIP: cloister-stored is not built in this tree")
    return False


class RawClient:
    """Bytes in, lines out: for input no library would send."""

    def __init__(self, port, tls=False, timeout=10):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            s = client_context().wrap_socket(s)
        self.s = s
        self.buf = b""
        self.timeout = timeout
        self.greeting = self.line()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self, timeout=None):
        """One response line (with a literal's bytes appended), or None at
        EOF or timeout."""
        end = time.time() + (timeout or self.timeout)
        while b"\r\n" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            try:
                self.s.settimeout(left)
                d = self.s.recv(65536)
            except (socket.timeout, ssl.SSLError, ConnectionResetError,
                    OSError):
                return None
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        m = re.search(rb"\{(\d+)\}$", line)
        if m:
            n = int(m.group(1))
            while len(self.buf) < n:
                d = self.s.recv(65536)
                if not d:
                    return None
                self.buf += d
            line += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]
            rest = self.line(timeout)
            return line + (rest or b"")
        return line

    def until_tagged(self, tag, timeout=None):
        """Lines up to and including the one starting with tag; the last
        one is None if the server closed or went quiet."""
        out = []
        while True:
            ln = self.line(timeout)
            out.append(ln)
            if ln is None or ln.startswith(tag.encode() + b" "):
                return out

    def cmd(self, tag, text, timeout=None):
        self.send("%s %s\r\n" % (tag, text))
        return self.until_tagged(tag, timeout)

    def closed(self, timeout=5):
        """True if the server closes the connection (EOF) in time."""
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], end - time.time())
            if not r:
                continue
            try:
                d = self.s.recv(65536)
            except (ConnectionResetError, ssl.SSLError, OSError):
                return True
            if not d:
                return True
            self.buf += d
        return False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# ---- IDLE fan-out (tests and bench/imap/idle-fanout) ----

def run_fanout(host, port, user, password, n, tls=True, concurrency=64,
               timeout=120):
    """Open n sessions of user, SELECT INBOX and IDLE in each; then APPEND
    one message from another session and time how long each idler takes
    to see "* N EXISTS". Returns {idlers, heard, p50, p99, max} (seconds
    from sending the APPEND).

    The sessions are opened by threads over blocking sockets (handshakes
    run in OpenSSL, outside the GIL); the wait is one epoll loop that only
    notes when each socket turns readable (a few microseconds per idler),
    and the lines are read and checked after the clock stops, so the
    figure is the server's, not this client's TLS."""
    import concurrent.futures

    ctx = client_context() if tls else None
    login = ("a LOGIN %s %s\r\n" % (quote(user), quote(password))).encode()
    deadline = time.monotonic() + timeout

    def connect():
        s = socket.create_connection((host, port), timeout=max(
            1, deadline - time.monotonic()))
        return ctx.wrap_socket(s) if ctx else s

    def until(s, rest, tag):
        """Read lines until one starts with tag; returns (line, lines seen,
        leftover bytes)."""
        seen = []
        while True:
            while b"\n" not in rest:
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("closed")
                rest += d
            ln, rest = rest.split(b"\n", 1)
            seen.append(ln)
            if ln.startswith(tag):
                return ln, seen, rest

    def open_idler(_):
        s = connect()
        _ln, _seen, rest = until(s, b"", b"* ")
        s.sendall(login)
        ln, _seen, rest = until(s, rest, b"a ")
        if not ln.startswith(b"a OK"):
            raise RuntimeError(ln)
        s.sendall(b"b SELECT INBOX\r\n")
        ln, seen, rest = until(s, rest, b"b ")
        exists = 0
        for x in seen:
            m = re.match(rb"\* (\d+) EXISTS", x)
            if m:
                exists = int(m.group(1))
        s.sendall(b"c IDLE\r\n")
        ln, _seen, rest = until(s, rest, b"+ ")
        s.setblocking(False)
        return s, exists, rest

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        idlers = list(pool.map(open_idler, range(n)))
    time.sleep(0.5)
    # The clock stops for an idler when its socket turns readable: the
    # server has written. Nothing is decrypted while the clock runs (that
    # would time this client's TLS, one idler after another, not the
    # server); each idler's first line is read and checked afterwards, and
    # one whose first line is not its "* N EXISTS" is not counted.
    ep = select.epoll()
    for s, _exists, _rest in idlers:
        ep.register(s.fileno(), select.EPOLLIN)
    # one APPEND from another session
    a = connect()
    until(a, b"", b"* ")
    a.sendall(login)
    _ln, _seen, arest = until(a, b"", b"a ")
    msg = b"From: fan@example.org\r\nSubject: fan-out\r\n\r\nwake\r\n"
    t0 = time.monotonic()
    a.sendall(b"d APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
    arrived = {}
    while len(arrived) < len(idlers) and time.monotonic() < deadline:
        events = ep.poll(max(0.0, deadline - time.monotonic()), 4096)
        now = time.monotonic()
        for fd, _ev in events:
            arrived[fd] = now
            ep.unregister(fd)
    ep.close()
    until(a, arest, b"d ")
    heard = []
    for (s, exists, rest) in idlers:
        if s.fileno() not in arrived:
            continue
        s.setblocking(True)
        s.settimeout(max(1, deadline - time.monotonic()))
        try:
            ln, seen, _rest = until(s, rest, b"* ")
        except (OSError, ConnectionError):
            continue
        m = re.match(rb"\* (\d+) EXISTS", ln)
        if len(seen) == 1 and m and int(m.group(1)) >= exists + 1:
            heard.append(arrived[s.fileno()])
    for s, _e, _r in idlers:
        s.close()
    a.close()
    lat = sorted(t - t0 for t in heard)

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
    return {"idlers": len(idlers), "heard": len(heard), "p50": pct(0.5),
            "p99": pct(0.99), "max": lat[-1] if lat else None}
