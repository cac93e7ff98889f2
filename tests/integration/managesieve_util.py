"""Helpers for the ManageSieve tests: a real cloisterd with authd, stored,
keyd, imapd and cloister-managesieved (imap_util.ImapServer with one more
service), and a small ManageSieve client that sends exact bytes and reads
responses (lines, literals, the final OK/NO/BYE).

    with SieveServer() as srv:
        c = srv.client()                       # STARTTLS listener, greeted
        c.starttls(); c.auth_plain("alice", "wonderland")
        status, lines = c.cmd(b'LISTSCRIPTS')
"""
import base64
import re
import socket
import time

from harness import service_block
from imap_util import ImapServer, client_context

SIEVE_LISTENS = ("sieve tcp 127.0.0.1:@port:sieve@ starttls",
                 "sieveplain tcp 127.0.0.1:@port:sieveplain@ plain",
                 "sieves tcp 127.0.0.1:@port:sieves@ tls")


def managesieved_block(options=None, settings=None):
    return service_block("managesieved", "connection",
                         "@bin:cloister-managesieved@", "managesieved",
                         SIEVE_LISTENS,
                         settings={"spares": 1, "max-processes": 50,
                                   "max-per-ip": 50, "prelogin-timeout": 20,
                                   **(settings or {})},
                         options={"auth": "yes", "keyd": "yes",
                                  **(options or {})})


class SieveServer(ImapServer):
    def __init__(self, users=None, options=None, settings=None, **kw):
        users = users or {"alice": "wonderland", "bob": "builder"}
        super().__init__(users=users, extra_services=[
            managesieved_block(options, settings)], **kw)

    def client(self, listener="sieve", timeout=15):
        return SieveClient(self.port(listener), tls=(listener == "sieves"),
                           timeout=timeout)

    def login(self, user="alice", listener="sieve"):
        c = self.client(listener)
        if listener == "sieve":
            c.starttls()
        st, lines = c.auth_plain(user, self.users[user])
        assert st.startswith(b"OK"), (st, lines)
        return c


class SieveClient:
    def __init__(self, port, tls=False, timeout=15):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            s = client_context().wrap_socket(s)
        self.s, self.buf, self.timeout = s, b"", timeout
        self.greeting = self.response()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def _fill(self, end):
        left = end - time.time()
        if left <= 0:
            return False
        try:
            self.s.settimeout(left)
            d = self.s.recv(65536)
        except (socket.timeout, OSError):
            return False
        if not d:
            return False
        self.buf += d
        return True

    def line(self):
        """One line, a literal at its end read in (bytes), or None."""
        end = time.time() + self.timeout
        while b"\r\n" not in self.buf:
            if not self._fill(end):
                return None
        line, self.buf = self.buf.split(b"\r\n", 1)
        for _ in range(100):        # literals inside the line, then its rest
            m = re.search(rb"\{(\d+)\+?\}$", line)
            if not m:
                return line
            n = int(m.group(1))
            while len(self.buf) < n:
                if not self._fill(end):
                    return None
            line, self.buf = line + b"\r\n" + self.buf[:n], self.buf[n:]
            while b"\r\n" not in self.buf:
                if not self._fill(end):
                    return None
            rest, self.buf = self.buf.split(b"\r\n", 1)
            line += rest
        return line

    def response(self):
        """(final status line, the lines before it); status None at EOF."""
        lines = []
        for _ in range(10000):
            ln = self.line()
            if ln is None:
                return None, lines
            if re.match(rb"(OK|NO|BYE)\b", ln):
                return ln, lines
            lines.append(ln)
        raise AssertionError("no end of response")

    def cmd(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.send(data + b"\r\n")
        return self.response()

    def capabilities(self, lines):
        caps = {}
        for ln in lines:
            m = re.match(rb'"([^"]+)"(?: "([^"]*)")?$', ln)
            if m:
                caps[m.group(1).decode()] = (m.group(2) or b"").decode()
        return caps

    def starttls(self):
        st, _ = self.cmd(b"STARTTLS")
        assert st.startswith(b"OK"), st
        self.s = client_context().wrap_socket(self.s)
        self.buf = b""
        st, lines = self.response()
        assert st is not None and st.startswith(b"OK"), st
        return self.capabilities(lines)

    def auth_plain(self, user, password, initial=True):
        ir = base64.b64encode(b"\0" + user.encode() + b"\0" +
                              password.encode())
        if initial:
            return self.cmd(b'AUTHENTICATE "PLAIN" "' + ir + b'"')
        self.send(b'AUTHENTICATE "PLAIN"\r\n')
        ch = self.line()
        assert ch is not None and ch.startswith(b'"'), ch
        return self.cmd(b'"' + ir + b'"')

    def put(self, name, script, plus=True):
        if isinstance(script, str):
            script = script.encode()
        lit = b"{%d%s}\r\n" % (len(script), b"+" if plus else b"")
        return self.cmd(b'PUTSCRIPT "' + name.encode() + b'" ' + lit + script)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass
