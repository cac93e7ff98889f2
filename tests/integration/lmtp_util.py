"""Helpers for the lmtpd tests: a cloisterd with the real stored and
lmtpd, root's admin channel to the store (users, quotas, mailbox
counters), a small LMTP client, and read-only looks into a user's
database for what the store keeps (metadata, full-text index)."""
import os
import socket
import sqlite3
import threading
import time

from harness import service_block, tool

LMTP_LISTENS = ("lmtp tcp 127.0.0.1:@port:lmtp@ plain",
                "lmtpsock unix @path:lmtp@ plain mode=0666")


def have_store():
    """True when stored is built; the tests that need it skip otherwise."""
    try:
        tool("cloister-stored")
        import store_util  # noqa: F401  (the store's test helpers)
        return True
    except (FileNotFoundError, ImportError):
        print("SKIP: cloister-stored is not built in this tree yet")
        return False


def stored_block(binary="@bin:cloister-stored@", options=None):
    return service_block("stored", "store", binary, "stored", options=options)


def lmtpd_block(spares=2, options=None, listens=LMTP_LISTENS, **settings):
    settings.setdefault("spares", spares)
    settings.setdefault("max_per_ip", 0)
    opts = {"hostname": "mx.test"}
    # TCP is opt-in: the tests' own clients are on loopback
    if any(" tcp " in " %s " % l for l in listens):
        opts["allow-clients"] = "127.0.0.0/8 ::1"
    opts.update(options or {})
    return service_block("lmtpd", "connection", "@bin:cloister-lmtpd@", "lmtpd",
                         listens, settings, opts)


class Admin:
    """Root's channel to store shard N (RUNTIME/store-admin.N.sock)."""

    def __init__(self, srv, shard=0):
        import store_util
        self.su = store_util
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.settimeout(10)
        sock.connect(os.path.join(srv.run_dir, "store-admin.%d.sock" % shard))
        self.chan = store_util.Chan(sock, "admin", 0)

    def close(self):
        self.chan.close()

    def user(self, name):
        self.chan.call("STORE_ADM_USER_CREATE", self.su.s(name))

    def quota(self, name, storage=0, messages=0):
        self.chan.call("STORE_ADM_QUOTA_SET", self.su.s(name) +
                       self.su.u64(storage) + self.su.u64(messages))

    def mailbox(self, user, name):
        self.chan.call("STORE_ADM_MBOX_CREATE", self.su.s(user) +
                       self.su.s(name) + self.su.u32(0))

    def detail(self, user, name, on=True, force=False):
        """user+NAME delivery into mailbox NAME (cloisterctl mailbox
        detail-delivery)."""
        self.chan.call("STORE_ADM_MBOX_DETAIL", self.su.s(user) + self.su.s(name) +
                       self.su.u32(int(on)) + self.su.u32(int(force)))

    def counts(self, user):
        """{mailbox name: messages}"""
        entries, _trailer = self.chan.call("STORE_ADM_MBOX_LIST",
                                           self.su.s(user) + self.su.u32(1))
        return {e[0].decode(): e[5] for e in entries}


class Lmtp:
    """An LMTP client that reads whole replies (multi-line included)."""

    def __init__(self, srv=None, unix=None, port=None, timeout=30):
        if unix is not None:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(unix)
        else:
            self.s = socket.create_connection(("127.0.0.1", port), timeout)
        self.buf = b""
        self.greeting = self.reply()

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("lmtpd closed the connection")
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode()

    def reply(self):
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return "\n".join(lines)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def deliver(self, sender, rcpts, msg, lhlo=True):
        """A whole transaction; [(rcpt, reply)] for the recipients that
        RCPT accepted, and the RCPT replies."""
        if lhlo:
            assert self.cmd("LHLO test.client").startswith("250")
        assert self.cmd("MAIL FROM:<%s>" % sender).startswith("250")
        rcpt_replies = [(r, self.cmd("RCPT TO:<%s>" % r)) for r in rcpts]
        ok = [r for r, rep in rcpt_replies if rep.startswith("250")]
        if not ok:
            self.cmd("RSET")
            return [], rcpt_replies
        assert self.cmd("DATA").startswith("354")
        if isinstance(msg, str):
            msg = msg.encode()
        body = b"".join(b"." + l if l.startswith(b".") else l
                        for l in msg.splitlines(keepends=True))
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        return [(r, self.reply()) for r in ok], rcpt_replies

    def close(self):
        try:
            self.cmd("QUIT")
        except (OSError, EOFError):
            pass
        self.s.close()


def read_copy(path, sql, args=()):
    """Query a database stored holds. It runs them in WAL mode with
    locking_mode=EXCLUSIVE, so read a copy of the file and its WAL (sqlite
    replays the WAL on open): everything acknowledged is in them."""
    import shutil
    import tempfile
    tmp = tempfile.mkdtemp(prefix="lmtp-db-")
    try:
        for suffix in ("", "-wal"):
            if os.path.exists(path + suffix):
                shutil.copyfile(path + suffix, os.path.join(tmp, "c.db" + suffix))
        con = sqlite3.connect(os.path.join(tmp, "c.db"), timeout=10)
        try:
            con.execute("PRAGMA locking_mode=EXCLUSIVE")
            return con.execute(sql, args).fetchall()
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def user_db(srv, user, shard=0):
    """The path of user's mail.db (the registry names its directory)."""
    top = os.path.join(srv.roots["stored"], "data", "s%d" % shard)
    rows = read_copy(os.path.join(top, "registry.db"),
                     "SELECT id FROM users WHERE name = ?", (user,))
    if not rows:
        raise FileNotFoundError("no user %s in shard %d" % (user, shard))
    return os.path.join(top, "u", str(rows[0][0]), "mail.db")


def db_query(srv, user, sql, args=()):
    return read_copy(user_db(srv, user), sql, args)


# The store's tables as the tests read them: a message (msgs) names its
# blob, whose IMAP views are in blobs and whose search fields in blobhdr
# (store/schema.c). One place to follow the schema.
MESSAGES = ("msgs m JOIN blobs b ON b.id = m.blob"
            " JOIN blobhdr h ON h.id = b.id")


def stored_messages(srv, user, where="", args=()):
    """[{envelope, bodystructure, subject, from, msgid, headers}] of the
    user's messages, in mailbox and UID order."""
    rows = db_query(srv, user, "SELECT b.envelope, b.bodystructure,"
                    " h.hsubject, h.hfrom, h.msgid, h.headers FROM " +
                    MESSAGES + (" WHERE " + where if where else "") +
                    " ORDER BY m.mailbox, m.uid", args)
    keys = ("envelope", "bodystructure", "subject", "from", "msgid", "headers")
    return [dict(zip(keys, r)) for r in rows]


def wait_counts(adm, user, want, timeout=10):
    end = time.time() + timeout
    while True:
        got = adm.counts(user)
        if all(got.get(k) == v for k, v in want.items()) or time.time() > end:
            return got
        time.sleep(0.05)


def stream(srv, seconds, acked, failures, stop):
    """Deliver messages for a while, a few per connection; record the ids
    acknowledged with 250."""
    i = 0
    end = time.time() + seconds
    while time.time() < end and not stop.is_set():
        try:
            c = Lmtp(unix=srv.paths["lmtp"], timeout=20)
            assert c.cmd("LHLO t").startswith("250")
            for _ in range(5):
                mid = "<k%06d@test>" % i
                i += 1
                ok, rr = c.deliver("s@x", ["hank@x"],
                                   "Message-ID: %s\r\nSubject: k\r\n\r\nbody %s\r\n"
                                   % (mid, mid), lhlo=False)
                if ok and ok[0][1].startswith("250"):
                    acked.append(mid)
                else:
                    failures.append((mid, ok or rr))
            c.close()
        except (OSError, EOFError, AssertionError) as e:
            failures.append((i, repr(e)))
            time.sleep(0.05)


def start_stream(srv, seconds):
    """Once srv is up: user hank, and a thread that delivers to him for
    seconds (stream). Returns (thread, acked, failures, stop event)."""
    srv.wait_ready(timeout=20)
    adm = Admin(srv)
    adm.user("hank")
    adm.close()
    acked, failures, stop = [], [], threading.Event()
    t = threading.Thread(target=stream, args=(srv, seconds, acked, failures, stop))
    t.start()
    return t, acked, failures, stop
