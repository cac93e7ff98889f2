"""What the submitd tests share: an SMTP sink on loopback playing the
relay (socketserver, a few lines), a cloisterd with stored and submitd
pointed at it, alice on the admin channel, and STORE_ADM_OUTBOX_ADD to
queue (STORE_OUTBOX_ADD, a worker's, has the same layout)."""
import os
import socketserver
import threading

from cloister_server import CloisterServer
from harness import service_block
from lmtp_util import Admin, stored_block
from store_util import b, s, u32, u64


class Sink(socketserver.ThreadingTCPServer):
    """An SMTP server that keeps every accepted transaction as
    (mail_from, [rcpts], data bytes, unstuffed). reply(kind, n) picks the
    reply to the n-th (from 0) command of that kind ("RCPT", "DATA" for the
    end of data); the default accepts everything. With dsn it offers DSN
    (RFC 3461); commands keeps every MAIL and RCPT line as sent."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, reply=None, delay=0.0, tls=None, dsn=False):
        self.tls = tls            # an ssl.SSLContext: offer STARTTLS
        self.dsn = dsn
        self.commands = []
        self.tls_sessions = 0
        self.got = []
        self.counts = {}
        self.connections = 0
        self.quits = 0
        self.lock = threading.Lock()
        self.reply = reply or (lambda kind, n: None)
        self.delay = delay
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), SinkHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def pick(self, kind, default):
        with self.lock:
            n = self.counts.get(kind, 0)
            self.counts[kind] = n + 1
        return self.reply(kind, n) or default

    def close(self):
        self.shutdown()
        self.server_close()

    def __exit__(self, *exc):
        self.close()


class SinkHandler(socketserver.StreamRequestHandler):
    def line(self, text):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        sink = self.server
        with sink.lock:
            sink.connections += 1
        self.line("220 sink.test ESMTP")
        mail, rcpts = None, []
        for _ in range(10000):
            raw = self.rfile.readline(2000)
            if not raw:
                return
            cmd = raw.rstrip(b"\r\n").decode("latin-1")
            verb = cmd.split(":")[0].split(" ")[0].upper()
            if verb in ("MAIL", "RCPT"):
                with sink.lock:
                    sink.commands.append(cmd)
            if verb == "EHLO":
                self.line("250-sink.test")
                if sink.tls is not None and not hasattr(self.connection, "cipher"):
                    self.line("250-STARTTLS")
                if sink.dsn:
                    self.line("250-DSN")
                for ext in self.extensions():
                    self.line("250-" + ext)
                self.line("250 8BITMIME")
            elif self.command(verb, cmd):
                pass            # a subclass took it
            elif verb == "STARTTLS" and sink.tls is not None:
                self.line("220 2.0.0 go ahead")
                try:
                    self.connection = sink.tls.wrap_socket(self.connection,
                                                           server_side=True)
                except OSError:
                    return          # the client refused our certificate
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb", buffering=0)
                with sink.lock:
                    sink.tls_sessions += 1
            elif verb == "MAIL":
                mail, rcpts = cmd[len("MAIL FROM:"):], []
                self.line(sink.pick("MAIL", "250 2.1.0 ok"))
            elif verb == "RCPT":
                r = sink.pick("RCPT", "250 2.1.5 ok")
                if r.startswith("250"):
                    rcpts.append(cmd[len("RCPT TO:"):])
                self.line(r)
            elif verb == "DATA":
                self.line("354 go ahead")
                data = self.read_data()
                if data is None:
                    return      # no final dot: the transaction is void
                if sink.delay:
                    import time
                    time.sleep(sink.delay)
                r = sink.pick("DATA", "250 2.0.0 queued")
                if r.startswith("250"):
                    with sink.lock:
                        sink.got.append((mail, rcpts, data))
                self.line(r)
            elif verb == "QUIT":
                with sink.lock:
                    sink.quits += 1
                self.line("221 bye")
                return
            else:
                self.line("500 what")

    def extensions(self):
        """More EHLO keywords (a subclass's)."""
        return []

    def command(self, verb, cmd):
        """Whether a subclass answered this command itself."""
        return False

    def read_data(self):
        out = []
        while True:
            raw = self.rfile.readline(100000)
            if raw == b"":
                return None
            if raw == b".\r\n":
                return b"".join(out)
            assert raw.endswith(b"\r\n"), raw     # every line ends in CRLF
            if raw.startswith(b"."):
                raw = raw[1:]
            out.append(raw)


def submitd_block(port, **options):
    opts = {"relay": "127.0.0.1:%d" % port, "hostname": "cloister.test",
            "retry-base": 1, "retry-max": 2, "smtp-timeout": 10}
    opts.update(options)
    return service_block("submitd", "submit", "@bin:cloister-submitd@", "submitd",
                         options=opts)


def services(port, **options):
    return [stored_block(), submitd_block(port, **options)]


def outbox_add(chan, op, user, rcpts, body, mail_from, send_at=0):
    """op (STORE_OUTBOX_ADD on a worker's channel, STORE_ADM_OUTBOX_ADD on
    the admin one) with body in a memfd: the reply."""
    fd = os.memfd_create("m")
    os.write(fd, body)
    try:
        payload = (s(user) + s(mail_from) + u32(len(rcpts)) +
                   b"".join(s(r) for r in rcpts) + u64(len(body)) + u64(send_at) +
                   b(b"") + s(""))
        return chan.call(op, payload, fd=fd)
    finally:
        os.close(fd)


def queue(adm, user, rcpts, body, mail_from="alice@example.org", send_at=0):
    """STORE_ADM_OUTBOX_ADD over root's admin channel: the outbox id."""
    return outbox_add(adm.chan, "STORE_ADM_OUTBOX_ADD", user, rcpts, body,
                      mail_from, send_at)[0]


def submitd_server(sink, **options):
    """A started cloisterd whose stored is ready and whose submitd relays
    to sink; options are submitd's."""
    srv = CloisterServer(services(sink.port, **options))
    srv.start()
    srv.wait_ready()
    return srv


def alice_admin(srv):
    """root's admin channel to srv's stored, once it made the user alice."""
    adm = Admin(srv)
    adm.user("alice")
    return adm


def send_one(srv, body):
    """Start srv, queue one message of body from alice to bob: the log
    line of its outcome (outbox 1 sent, deferred or failed)."""
    srv.start()
    srv.wait_ready()
    adm = alice_admin(srv)
    queue(adm, "alice", ["bob@example.net"], body)
    line = srv.wait_log(r"outbox 1: (sent|deferred|failed)", 20)
    assert line is not None, srv.log[-30:]
    return line


__all__ = ["Admin", "Sink", "alice_admin", "outbox_add", "queue", "send_one",
           "services", "submitd_block", "submitd_server"]
