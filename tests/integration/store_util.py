"""Helpers for the store tests: run cloister-stored as the supervisor would
(temp spool, temp policies and config, CTL_KEY and CTL_PEER over the
control socketpair) and speak the store protocol (docs/store-protocol.md)
from the worker ends. Python 3 stdlib only."""
import hashlib
import hmac
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

from harness import POLICY_DIR, Skip, service_block, tool, wait_for

from cloister_ipc import (CTL_CLIENT, CTL_KEY, CTL_PEER, CTL_PEER_ADMIN,  # noqa: F401
                          CTL_READY_RECORD, ERR, ERROR, F_FD, F_MORE,
                          IPC_VERSION, NAMES, OK, PING, PONG, T, b, decode,
                          record, recv_record, s, send_record, u32, u64)

FD_CONTROL = 5
FD_STATS = 4


def _hold_fd(fd):
    """Keep fd open in this process (on /dev/null if it was closed)."""
    try:
        os.fstat(fd)
    except OSError:
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        if null != fd:
            os.dup2(null, fd, inheritable=False)
            os.close(null)

# flags, fetch items
SEEN, ANSWERED, FLAGGED, DELETED, DRAFT = 1, 2, 4, 8, 16
F_FLAGS, F_IDATE, F_SIZE, F_ENVELOPE = 1, 2, 4, 8


# ---- fields of the store protocol (typed fields: cloister_ipc) ------------

def uidset(*ranges):
    return b(b"".join(struct.pack(">II", lo, hi) for lo, hi in ranges))


def parse_uidset(raw):
    return [struct.unpack(">II", raw[i:i + 8]) for i in range(0, len(raw), 8)]


# ---- tickets (common/ticket.h) ---------------------------------------------

def ticket(key, user, service, instance, expiry=None):
    if expiry is None:
        expiry = int(time.time()) + 300
    svc = service.encode().ljust(16, b"\0")
    u = user.encode()
    body = b"\x01" + struct.pack(">QQ", expiry, instance) + svc + bytes([len(u)]) + u
    return body + hmac.new(key, body, hashlib.sha256).digest()


# ---- message metadata block (the memfd tail) -----------------------------------

META_TEXTS = ("envelope", "bodystructure", "body", "from", "to", "cc", "bcc",
              "subject", "message_id", "in_reply_to", "references",
              "sort_subject", "sort_from", "sort_to", "sort_cc", "display_from",
              "display_to", "preview")


def meta_block(internaldate=1700000000, tzoff=0, flags=0, keywords=(),
               sentdate=0, info=0, headers=b"", text=b"", **texts):
    out = u64(internaldate) + u32(tzoff & 0xffffffff) + u32(flags) + u32(len(keywords))
    out += b"".join(s(k) for k in keywords)
    out += u64(sentdate)
    for name in META_TEXTS:
        out += b(texts.get(name, b""))
    out += u32(info) + b(headers) + b(text)
    return out


def memfd_message(body, meta=None):
    """A memfd holding body then its metadata block; (fd, size, metalen)."""
    if meta is None:
        meta = meta_block()
    fd = os.memfd_create("msg")
    os.write(fd, body + meta)
    return fd, len(body), len(meta)


def small_disk(st, size, filler_bytes):
    """A full disk for st (not started yet): a tmpfs of size on its data
    directory, owned by the store, holding a filler file of filler_bytes
    (room an operator frees later); the filler's path. Skip when no tmpfs
    can be mounted; the caller unmounts st.spool/data."""
    data = os.path.join(st.spool, "data")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=%s,mode=0700" % size, "tmpfs", data],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip("cannot mount a tmpfs: " + r.stderr.strip())
    pw = pwd.getpwnam("cloister-store")
    os.chown(data, pw.pw_uid, pw.pw_gid)
    filler = os.path.join(data, "filler")
    with open(filler, "wb") as f:
        f.write(b"\0" * filler_bytes)
    return filler


def new_user(st, name, service="imapd"):
    """Create a user over the admin channel; a channel bound to it."""
    adm = st.admin()
    adm.call("STORE_ADM_USER_CREATE", s(name))
    adm.close()
    c = st.connect(service)
    c.hello(st.key, name)
    return c


def append_to(c, body, box="INBOX", **meta):
    """STORE_APPEND of body with a metadata block made of meta."""
    fd, size, mlen = memfd_message(body, meta_block(**meta))
    try:
        return c.call("STORE_APPEND", u64(0) + s(box) + u64(size) + u32(mlen),
                      fd=fd)
    finally:
        os.close(fd)


# ---- the daemon --------------------------------------------------------------------

class StoreError(Exception):
    def __init__(self, code, msg):
        Exception.__init__(self, "%d %s" % (code, msg))
        self.code = code
        self.msg = msg


class Chan:
    """One worker's end of a store channel."""

    def __init__(self, sock, service, instance):
        self.sock = sock
        self.service = service
        self.instance = instance
        self.reqid = 0
        self.notifications = []

    def close(self):
        self.sock.close()

    def send(self, type_, payload=b"", fd=None, flags=0):
        self.reqid += 1
        send_record(self.sock, type_, self.reqid, payload, fd, flags)
        return self.reqid

    def reply(self, reqid, timeout=30):
        """Records of the reply to reqid: [(type, flags, payload, fd)]."""
        recs = []
        while True:
            type_, rid, flags, payload, fd = recv_record(self.sock, timeout)
            if type_ == T["STORE_NOTIFY"] and rid == 0:
                self.notifications.append(decode(payload))
                continue
            assert rid == reqid, "reply %d to request %d" % (rid, reqid)
            recs.append((type_, flags, payload, fd))
            if not flags & F_MORE:
                return recs

    def raw(self, type_, payload=b"", fd=None, flags=0):
        rid = self.send(type_, payload, fd, flags)
        return self.reply(rid)

    def call(self, name, payload=b"", fd=None, width=None):
        """A request; OK -> decoded fields (and fd if any), or for a streamed
        reply (entries, trailer); ERROR raises StoreError."""
        recs = self.raw(T[name] if isinstance(name, str) else name, payload, fd)
        type_, flags, data, rfd = recs[-1]
        if type_ == ERROR:
            code, msg = decode(data)
            raise StoreError(code, msg.decode(errors="replace"))
        if name in STREAMED:
            if width is None:
                width = ENTRY_WIDTH[name]
            return stream_items(b"".join(r[2] for r in recs), width)
        fields = decode(data)
        if rfd is not None:
            return fields, rfd
        return fields

    def error(self, name, payload=b"", fd=None, width=None):
        """A request that must fail: (code, message)."""
        try:
            r = self.call(name, payload, fd, width)
        except StoreError as e:
            return e.code, e.msg
        raise AssertionError("%s succeeded: %r" % (name, r))

    def hello(self, key, user, service=None, instance=None, expiry=None):
        t = ticket(key, user, service or self.service,
                   self.instance if instance is None else instance, expiry)
        return self.call("STORE_HELLO", b(t))

    def wait_notify(self, timeout=5):
        if self.notifications:
            return self.notifications.pop(0)
        type_, rid, flags, payload, fd = recv_record(self.sock, timeout)
        assert type_ == T["STORE_NOTIFY"] and rid == 0, (type_, rid)
        return decode(payload)


STREAMED = {"STORE_MBOX_LIST", "STORE_FETCH", "STORE_FLAGS", "STORE_COPY",
            "STORE_MOVE", "STORE_EXPUNGE", "STORE_CHANGES", "STORE_SEARCH",
            "STORE_MBOX_CHANGES", "STORE_EMAIL_CHANGES", "STORE_THREAD_GET",
            "STORE_EMAIL_LOCATE", "STORE_EMAIL_LOCATE_MANY",
            "STORE_ADM_USER_LIST", "STORE_ADM_MBOX_LIST",
            "STORE_THREAD_COUNTS", "STORE_EMAIL_QUERY",
            "STORE_THREAD_CHANGES", "STORE_THREAD_PEERS"}


FETCH_WIDTH = [(1, 3), (2, 2), (4, 1), (8, 1), (16, 1), (32, 1), (64, 3),
               (128, 1), (256, 8), (512, 2), (1024, 1)]


def fetch_width(what):
    return 1 + sum(n for bit, n in FETCH_WIDTH if what & bit)


ENTRY_WIDTH = {"STORE_MBOX_LIST": 11, "STORE_ADM_MBOX_LIST": 11,
               "STORE_FLAGS": 4, "STORE_SEARCH": 1, "STORE_MBOX_CHANGES": 2,
               "STORE_EMAIL_CHANGES": 2, "STORE_THREAD_GET": 3,
               "STORE_EMAIL_LOCATE": 3, "STORE_EMAIL_LOCATE_MANY": 3,
               "STORE_ADM_USER_LIST": 5,
               "STORE_THREAD_COUNTS": 3, "STORE_EMAIL_QUERY": 1,
               "STORE_THREAD_CHANGES": 2, "STORE_THREAD_PEERS": 1,
               "STORE_COPY": 0, "STORE_MOVE": 0, "STORE_EXPUNGE": 0}


def stream_items(data, width):
    """(entries, trailer) of a streamed reply whose entries have width
    fields each."""
    fields = decode(data)
    entries = []
    i = 0
    while i < len(fields):
        tag = fields[i]
        i += 1
        if tag == 0:
            return entries, fields[i:]
        assert tag == 1, "bad item tag %r" % (tag,)
        entries.append(fields[i:i + width])
        i += width
    raise AssertionError("stream without its end")


class Store:
    """cloister-stored under a temporary spool, config and policies."""

    def __init__(self, shards=1, autocreate=None, policy_edit=None,
                 instance=0, options="", stats=False, shard=0):
        self.shard = shard
        self.stats_r = None
        self.stats_w = None
        if stats:
            self.stats_r, self.stats_w = os.pipe()
        self.tmp = tempfile.mkdtemp(prefix="cloister-store-")
        os.chmod(self.tmp, 0o755)
        self.spool = os.path.join(self.tmp, "spool")
        os.mkdir(self.spool, 0o755)
        data = os.path.join(self.spool, "data")
        os.mkdir(data, 0o700)
        pw = pwd.getpwnam("cloister-store")
        os.chown(data, pw.pw_uid, pw.pw_gid)
        self.poldir = os.path.join(self.tmp, "policy")
        os.mkdir(self.poldir)
        for name in ("stored", "imapd", "jmapd", "lmtpd", "sanitizer"):
            with open(os.path.join(POLICY_DIR, name + ".policy")) as f:
                text = f.read()
            if name == "stored":
                text = text.replace("/var/lib/cloister/spool", self.spool)
            if policy_edit is not None:
                text = policy_edit(name, text)
            with open(os.path.join(self.poldir, name + ".policy"), "w") as f:
                f.write(text)
        self.binary = tool("cloister-stored")
        self.conf = os.path.join(self.tmp, "cloister.conf")
        blocks = [service_block(name, "connection", self.binary, name,
                                ["l unix %s/%s.sock plain" % (self.tmp, name)])
                  for name in ("imapd", "jmapd", "lmtpd")]
        blocks.append(service_block("stored", "store", self.binary, "stored",
                                    options={"autocreate": autocreate or None},
                                    lines=options.splitlines()))
        with open(self.conf, "w") as f:
            f.write("state-dir %s\nruntime-dir %s\npolicy-dir %s\n"
                    "store-shards %d\n%s\n"
                    % (self.tmp, self.tmp, self.poldir, shards, "\n".join(blocks)))
        self.key = os.urandom(32)
        self.instance = instance
        self.proc = None
        self.ctl = None
        self.log = os.path.join(self.tmp, "stored.log")
        self.next_instance = 1000

    def start(self, wait=True, send_key=True):
        ctl, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cfd = child.fileno()

        sw = self.stats_w

        def setup():
            os.dup2(cfd, FD_CONTROL)
            if cfd != FD_CONTROL:
                os.close(cfd)      # not on fd 4 (stats) or anywhere else
            if sw is not None:
                os.dup2(sw, FD_STATS)
        # pass_fds names FD_CONTROL so that close_fds keeps what setup()
        # puts there; Popen marks every fd it names inheritable first, so
        # the number must be open here too: hold it with /dev/null if not
        _hold_fd(FD_CONTROL)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.conf, "--service", "stored",
             "--instance", str(self.instance), "--shard", str(self.shard),
             "--foreground"],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
            pass_fds=(cfd, FD_CONTROL) + ((sw, FD_STATS) if sw is not None else ()),
            preexec_fn=setup)
        logf.close()
        child.close()
        self.ctl = ctl
        if send_key:
            send_record(ctl, CTL_KEY, 0, u32(IPC_VERSION) + b(self.key))
        if wait:
            assert wait_for(lambda: self.proc.poll() is not None or
                            "ready" in self.log_text(), timeout=20), self.log_text()
            assert self.proc.poll() is None, "stored died:\n" + self.log_text()
            # read like cloisterd does: a record left unread when ctl closes
            # would reach stored as ECONNRESET instead of EOF
            self.ctl.settimeout(5)
            assert self.ctl.recv(64) == CTL_READY_RECORD
            self.ctl.settimeout(None)
        return self

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def connect(self, service, instance=None, flags=0):
        """A channel the supervisor announces as service/instance;
        flags CTL_PEER_ADMIN makes it root's admin connection."""
        if instance is None:
            self.next_instance += 1
            instance = self.next_instance
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        send_record(self.ctl, CTL_PEER, 0, s(service) + u64(instance) +
                    u32(flags), fd=theirs.fileno())
        theirs.close()
        return Chan(mine, service, instance)

    def admin(self):
        return self.connect("admin", flags=CTL_PEER_ADMIN)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.ctl:
            self.ctl.close()
            self.ctl = None

    def stop(self):
        if self.ctl:
            self.ctl.close()
            self.ctl = None
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("---- stored log ----\n" + self.log_text()[-6000:])
        self.cleanup()

    def user_dbs(self):
        out = []
        for root, _dirs, files in os.walk(os.path.join(self.spool, "data")):
            for f in files:
                if f.endswith(".db"):
                    out.append(os.path.join(root, f))
        return out
