"""Helpers for the supervisor's tests: service blocks that run
cloister-standin under the real policies, and a line client."""
import os
import re
import socket
import time

from harness import POLICY_DIR, binary_is_sanitized, service_block, tool


def _sanitized():
    return binary_is_sanitized(tool("cloisterd"))


# The acceptance bounds (a second to replace a worker, to serve a login
# during a flood, to refuse over a limit) are the production build's. In an
# ASan+UBSan build fork and exec cost several times more (shadow memory), so
# those bounds are scaled there, and only there.
BOUND = 1.0 * (3 if _sanitized() else 1)


def process_of(policy):
    """The executable name a policy's 'process' key names."""
    with open(os.path.join(POLICY_DIR, policy + ".policy")) as f:
        return re.search(r"^process\s+(\S+)", f.read(), re.M).group(1)


def block(name, role, policy, listens=(), binary=None, settings=None,
          options=None):
    """A service block; by default the stand-in, copied under the name the
    policy expects so that cloister-audit matches it."""
    return service_block(name, role, binary or "@standin:%s@" % process_of(policy),
                         policy, listens, settings, options)


AUTHD = block("authd", "auth", "authd")
STORED = block("stored", "store", "stored")
METRICS = block("metrics", "stats", "snmpd-helper",
                ["http tcp 127.0.0.1:@port:metrics@ plain"])


def imapd(spares=2, name="imapd", listens=None, auth=False, options=None,
          **settings):
    """An imapd stand-in; auth=True gives it an authd channel."""
    settings.setdefault("prelogin_timeout", 30)
    settings["spares"] = spares
    options = dict(options or {})
    if auth:
        options["auth"] = "yes"
    return block(name, "connection", "imapd",
                 listens or ["imap tcp 127.0.0.1:@port:imap@ plain"],
                 settings=settings, options=options)


def lmtpd(spares=1, **settings):
    settings["spares"] = spares
    return block("lmtpd", "connection", "lmtpd",
                 ["lmtp tcp 127.0.0.1:@port:lmtp@ plain",
                  "lmtpsock unix @path:lmtp@ plain mode=0660"],
                 settings=settings)


FULL = [AUTHD, STORED, imapd(auth=True), lmtpd(), METRICS]


class LineClient:
    """A client of the stand-in's line protocol."""

    def __init__(self, host, port, source=None, timeout=5):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.f = self.sock.makefile("rb")

    @classmethod
    def unix(cls, path, timeout=5):
        c = cls.__new__(cls)
        c.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.sock.settimeout(timeout)
        c.sock.connect(path)
        c.f = c.sock.makefile("rb")
        return c

    def readline(self):
        return self.f.readline().decode(errors="replace").rstrip("\r\n")

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.readline()

    def close(self):
        self.f.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def login(host, port, source=None, timeout=5):
    """What a real client does first: connect, read the greeting, one round
    trip. Until imapd exists the stand-in's greeting and echo stand for an
    IMAP login; switch this to imaplib (LOGIN) when it does. Returns the
    seconds it took."""
    t0 = time.monotonic()
    with LineClient(host, port, source, timeout) as c:
        greeting = c.readline()
        assert greeting.startswith("* OK"), greeting
        assert c.cmd("LOGIN user pass") == "LOGIN user pass"
    return time.monotonic() - t0


def metrics(srv):
    """{service: {field: int}} from the stats stand-in's listener."""
    with socket.create_connection(("127.0.0.1", srv.port("metrics")), 5) as s:
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    out = {}
    for line in data.decode().splitlines():
        name, *fields = line.split()
        out[name] = {k: int(v) for k, v in (f.split("=") for f in fields)}
    return out
