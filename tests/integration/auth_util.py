"""Helpers for the authd tests: start cloister-authd as the supervisor would
(fixed fds 3 log, 4 stats, 5 control; a temp config; a temp policy copy whose
root is a temp dir holding a sasldb2 made with saslpasswd2), play workers
over socketpairs, speak the IPC framing, verify tickets, and do SCRAM on the
client side (stdlib only)."""
import base64
import fcntl
import grp
import hashlib
import hmac
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading

from harness import policy_copy, service_block, tool, wait_for

from cloister_ipc import (C, CTL_CLIENT, CTL_CONN, CTL_KEY,  # noqa: F401
                          CTL_PEER, CTL_READY_RECORD, ERROR, IPC_VERSION, OK,
                          PING, PONG, T, decode, recv_record, s, send_record,
                          u32, u64)
from cloister_ipc import b as by

AUTH_MECHS, AUTH_START, AUTH_STEP = T["AUTH_MECHS"], T["AUTH_START"], T["AUTH_STEP"]
AUTH_CHALLENGE, AUTH_SUCCESS = T["AUTH_CHALLENGE"], T["AUTH_SUCCESS"]
AUTH_FAILURE, STORE_HELLO = T["AUTH_FAILURE"], T["STORE_HELLO"]

# enum auth_fail, enum auth_mech_flag
FAIL_CREDENTIALS, FAIL_RATE = C["AUTH_FAIL_CREDENTIALS"], C["AUTH_FAIL_RATE"]
FAIL_MECH, FAIL_PROTOCOL = C["AUTH_FAIL_MECH"], C["AUTH_FAIL_PROTOCOL"]
FAIL_TEMPORARY, FAIL_DONE = C["AUTH_FAIL_TEMPORARY"], C["AUTH_FAIL_DONE"]
MECH_PLAINTEXT = C["AUTH_MECH_PLAINTEXT"]

# enum stats_counter (common/stats.h)
ST_AUTH_OK, ST_AUTH_FAIL = 1, 2
STATS_MAGIC = 0x434c5332
ST_COUNTER_MAX, SG_GAUGE_MAX = 12, 2
STATS_FMT = "=IHH%dQ%dQ" % (ST_COUNTER_MAX, SG_GAUGE_MAX)

REALM = "test.cloister.example"


# ---- requests and replies over the codec of cloister_ipc ----

def send(sock, typ, payload=b"", reqid=1, fd=None, version=None):
    send_record(sock, typ, reqid, payload, fd, version=version)


fields = decode


def recv(sock, timeout=10.0):
    """(type, reqid, fields) of the next record, or None on EOF/timeout."""
    try:
        typ, reqid, flags, payload, fd = recv_record(sock, timeout)
    except (EOFError, socket.timeout):
        return None
    assert flags == 0 and fd is None, (flags, fd)
    return typ, reqid, decode(payload)


# ---- tickets (common/ticket.h) ----

def ticket_parse(key, t):
    """The fields of a ticket if its MAC verifies under key, else None."""
    body, mac = t[:-32], t[-32:]
    if not hmac.compare_digest(hmac.new(key, body, hashlib.sha256).digest(), mac):
        return None
    ver, expiry, instance = struct.unpack(">BQQ", body[:17])
    service = body[17:33].rstrip(b"\0").decode()
    ulen = body[33]
    user = body[34:34 + ulen].decode()
    assert len(body) == 34 + ulen
    return {"version": ver, "expiry": expiry, "instance": instance,
            "service": service, "user": user}


# ---- SCRAM client (RFC 5802 / 7677) ----

class Scram:
    def __init__(self, hashname, user, password, nonce=None):
        self.h = hashname
        self.user = user
        self.password = password.encode()
        self.cnonce = nonce or base64.b64encode(os.urandom(18)).decode()
        self.bare = "n=%s,r=%s" % (user.replace("=", "=3D").replace(",", "=2C"), self.cnonce)

    def first(self):
        return ("n,," + self.bare).encode()

    def final(self, server_first):
        sf = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in sf.split(","))
        nonce, salt, it = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
        assert nonce.startswith(self.cnonce) and len(nonce) > len(self.cnonce)
        self.server_nonce = nonce[len(self.cnonce):]
        self.iterations = it
        salted = hashlib.pbkdf2_hmac(self.h, self.password, salt, it)
        ckey = hmac.new(salted, b"Client Key", self.h).digest()
        stored = hashlib.new(self.h, ckey).digest()
        without_proof = "c=biws,r=" + nonce
        auth_msg = ",".join([self.bare, sf, without_proof]).encode()
        csig = hmac.new(stored, auth_msg, self.h).digest()
        proof = bytes(a ^ b for a, b in zip(ckey, csig))
        skey = hmac.new(salted, b"Server Key", self.h).digest()
        self.expected_v = base64.b64encode(hmac.new(skey, auth_msg, self.h).digest()).decode()
        return (without_proof + ",p=" + base64.b64encode(proof).decode()).encode()

    def check_server_final(self, data):
        return data.decode() == "v=" + self.expected_v


# ---- a worker channel ----

class Worker:
    def __init__(self, authd, service, instance, sock):
        self.authd, self.service, self.instance, self.sock = authd, service, instance, sock
        self.reqid = 0

    def request(self, typ, payload=b"", timeout=10.0):
        self.reqid += 1
        send(self.sock, typ, payload, self.reqid)
        r = recv(self.sock, timeout)
        if r is not None:
            assert r[1] == self.reqid, ("reply to another request", r)
        return r

    def mechs(self):
        typ, _, f = self.request(AUTH_MECHS)
        assert typ == AUTH_MECHS
        n = f[0]
        return {f[1 + 2 * i].decode(): f[2 + 2 * i] for i in range(n)}

    def start(self, mech, ir=None, timeout=10.0):
        p = s(mech) + (by(ir) if ir is not None else b"")
        return self.request(AUTH_START, p, timeout)

    def step(self, data, timeout=10.0):
        return self.request(AUTH_STEP, by(data), timeout)

    def plain(self, user, password, authzid=""):
        return self.start("PLAIN", ("%s\0%s\0%s" % (authzid, user, password)).encode())

    def login(self, user, password):
        r = self.start("LOGIN")
        assert r[0] == AUTH_CHALLENGE and r[2][0] == b"Username:", r
        r = self.step(user.encode())
        if r[0] != AUTH_CHALLENGE:
            return r
        assert r[2][0] == b"Password:", r
        return self.step(password.encode())

    def scram(self, hashname, mech, user, password):
        """(final reply, Scram) of a whole SCRAM exchange."""
        sc = Scram(hashname, user, password)
        r = self.start(mech, sc.first())
        if r[0] != AUTH_CHALLENGE:
            return r, sc
        return self.step(sc.final(r[2][0])), sc

    def closed(self, timeout=5.0):
        """True once authd has closed this channel."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return False
        try:
            return self.sock.recv(200000) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


# ---- authd under test ----

def make_sasldb(path, users, realm=REALM):
    """users: {name: password}; name may hold @realm."""
    if not users:
        return
    for name, pw in users.items():
        args = ["saslpasswd2", "-f", path, "-p", "-c"]
        if realm is not None and "@" not in name:
            args += ["-u", realm]
        elif "@" in name:
            name, dom = name.split("@", 1)
            args += ["-u", dom]
        r = subprocess.run(args + [name], input=pw.encode(), capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
    gid = grp.getgrnam("cloister-auth").gr_gid
    os.chown(path, 0, gid)
    os.chmod(path, 0o640)


class Authd:
    """cloister-authd with a temp chroot, config and policy."""

    def __init__(self, users=None, options=None, realm=REALM, policy_edit=None,
                 sasldb_realm=None, key=None):
        self.root = tempfile.mkdtemp(prefix="cloister-authroot-")
        os.chown(self.root, 0, grp.getgrnam("cloister-auth").gr_gid)
        os.chmod(self.root, 0o750)
        self.sasldb = os.path.join(self.root, "sasldb2")
        make_sasldb(self.sasldb, users if users is not None else {"alice": "wonderland"},
                    sasldb_realm or realm)
        root = self.root

        def edit(t):
            t = re.sub(r"^root\s+\S+", "root          " + root, t, flags=re.M)
            return policy_edit(t) if policy_edit else t
        self.policy = policy_copy("authd", edit)
        self.state = tempfile.mkdtemp(prefix="cloister-authstate-")
        opts = {"failure-delay-ms": "300"}
        if realm is not None:
            opts["realm"] = realm
        opts.update(options or {})
        self.config = os.path.join(self.state, "cloister.conf")
        with open(self.config, "w") as f:
            f.write("state-dir %s\nruntime-dir %s\npolicy-dir %s\n" %
                    (self.state, self.state, os.path.dirname(self.policy)))
            f.write(service_block("authd", "auth", tool("cloister-authd"),
                                  "authd", options=opts) + "\n")
        self.key = key or os.urandom(32)
        self.log_lines = []
        self.stats = []
        self.proc = None

    def start(self, send_key=True, wait=True, blocking_stats=False):
        log_r, log_w = os.pipe()
        # non-blocking as cloisterd makes it, unless the test wants to see
        # that authd protects itself
        st_r, st_w = os.pipe() if blocking_stats else os.pipe2(os.O_NONBLOCK)
        self.ctl, ctl_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        srcs = [log_w, st_w, ctl_child.fileno()]

        def fds():
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in srcs]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)
        self.proc = subprocess.Popen(
            [getattr(self, "binary", None) or tool("cloister-authd"), "--config",
             self.config, "--service", getattr(self, "service", "authd"),
             "--instance", "1", "--foreground"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            preexec_fn=fds, pass_fds=(3, 4, 5), close_fds=True)
        os.close(log_w)
        os.close(st_w)
        ctl_child.close()
        self.stats_fd = st_r
        os.set_blocking(st_r, False)
        self.stats_w_flags_blocking = blocking_stats
        self.log_fd = log_r
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()
        if send_key:
            try:
                send(self.ctl, CTL_KEY, u32(IPC_VERSION) + by(self.key))
            except BrokenPipeError:
                pass        # it died at start; the caller looks at the log
        if wait:
            assert self.wait_log("serving"), self.log()
            # read like cloisterd does: a record left unread when ctl closes
            # would reach authd as ECONNRESET instead of EOF
            self.ctl.settimeout(5)
            assert self.ctl.recv(64) == CTL_READY_RECORD
            self.ctl.settimeout(None)
        return self

    def _read_log(self):
        buf = b""
        while True:
            try:
                d = os.read(self.log_fd, 65536)
            except OSError:
                break
            if not d:
                break
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.log_lines.append(line.decode(errors="replace"))

    def log(self):
        return "\n".join(self.log_lines)

    def wait_log(self, pattern, timeout=10.0):
        rx = re.compile(pattern)
        return wait_for(lambda: any(rx.search(l) for l in self.log_lines), timeout)

    def read_stats(self):
        size = struct.calcsize(STATS_FMT)
        while True:
            try:
                d = os.read(self.stats_fd, size)
            except BlockingIOError:
                break
            if not d:
                break
            assert len(d) == size, len(d)
            rec = struct.unpack(STATS_FMT, d)
            assert rec[0] == STATS_MAGIC and rec[2] == size
            self.stats.append(rec)
        totals = [0] * ST_COUNTER_MAX
        for rec in self.stats:
            if rec[1] == 1:
                for i in range(ST_COUNTER_MAX):
                    totals[i] += rec[3 + i]
        return totals

    def worker(self, service="imapd", instance=None, addr=("127.0.0.1", 40000),
               flags=0):
        """A worker channel (CTL_PEER with flags) and, unless addr is None,
        its client address (CTL_CLIENT)."""
        if instance is None:
            Authd._next = getattr(Authd, "_next", 1000) + 1
            instance = Authd._next
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        send(self.ctl, CTL_PEER, s(service) + u64(instance) + u32(flags),
             fd=theirs.fileno())
        theirs.close()
        if addr is not None:
            self.client(instance, addr)
        return Worker(self, service, instance, mine)

    def client(self, instance, addr):
        if ":" in addr[0]:
            sa = struct.pack("=H", socket.AF_INET6) + struct.pack(">HI", addr[1], 0) + \
                socket.inet_pton(socket.AF_INET6, addr[0]) + struct.pack("=I", 0)
        else:
            sa = struct.pack("=H", socket.AF_INET) + struct.pack(">H", addr[1]) + \
                socket.inet_pton(socket.AF_INET, addr[0]) + b"\0" * 8
        send(self.ctl, CTL_CLIENT, u64(instance) + by(sa))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        try:
            self.ctl.close()
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        os.close(self.stats_fd)
        os.close(self.log_fd)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)
        shutil.rmtree(os.path.dirname(self.policy), ignore_errors=True)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---- a stand-in for stored's admin channel (docs/store-protocol.md) ----

ADM = {n[len("STORE_ADM_"):].lower(): v for n, v in T.items()
       if n.startswith("STORE_ADM_") and n != "STORE_ADM_MBOX_DETAIL"}
ERR_NOTFOUND, ERR_EXISTS = C["IPC_ERR_NOTFOUND"], C["IPC_ERR_EXISTS"]
USE_BITS = {"Archive": 1, "Drafts": 2, "Junk": 4, "Sent": 8, "Trash": 16}
DEFAULT_BOXES = [("INBOX", 0), ("Drafts", 2), ("Sent", 8), ("Junk", 4), ("Trash", 16),
                 ("Archive", 1)]


class FakeStoreAdmin:
    """Listens on RUNTIME/store-admin.N.sock and answers the STORE_ADM_*
    requests from an in-memory model, the way the protocol document says
    stored does, so that cloisterctl's side can be tested before stored
    exists. thaw_timed_out makes THAW report that the timeout released the
    freeze first; requests are recorded in .log."""

    def __init__(self, runtime_dir, shard=0, thaw_timed_out=False):
        self.path = os.path.join(runtime_dir, "store-admin.%d.sock" % shard)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(self.path)
        self.sock.listen(8)
        self.users = {}        # name -> {"boxes": {name: use}, "quota": [4]}
        self.thaw_timed_out = thaw_timed_out
        self.frozen = False
        self.log = []
        self.stop_flag = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop_flag:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c,), daemon=True).start()

    def _reply(self, c, reqid, payload=b"", typ=OK, flags=0):
        send_record(c, typ, reqid, payload, flags=flags)

    def _error(self, c, reqid, code, msg):
        self._reply(c, reqid, u32(code) + s(msg), ERROR)

    def _conn(self, c):
        names = {v: k for k, v in ADM.items()}
        while True:
            try:
                typ, reqid, flags, payload, _fd = recv_record(c, None)
            except (OSError, EOFError):
                break
            f = fields(payload)
            op = names.get(typ, str(typ))
            self.log.append((op, [x.decode() if isinstance(x, bytes) else x for x in f]))
            user = f[0].decode() if f and isinstance(f[0], bytes) else None
            u = self.users.get(user)
            if op == "user_create":
                if u is not None:
                    self._error(c, reqid, ERR_EXISTS, "user exists")
                else:
                    self.users[user] = {"boxes": dict(DEFAULT_BOXES), "quota": [0, 0, 0, 0]}
                    self._reply(c, reqid)
            elif op in ("freeze", "thaw"):
                if op == "freeze":
                    self.frozen = True
                    self._reply(c, reqid)
                else:
                    self.frozen = False
                    self._reply(c, reqid, u32(1 if self.thaw_timed_out else 0))
            elif op == "user_list":
                p = b"".join(u32(1) + s(name) + b"".join(u64(q) for q in v["quota"])
                             for name, v in sorted(self.users.items()))
                self._reply(c, reqid, p + u32(0))
            elif u is None:
                self._error(c, reqid, ERR_NOTFOUND, "no such user")
            elif op == "user_delete":
                del self.users[user]
                self._reply(c, reqid)
            elif op == "quota_get":
                self._reply(c, reqid, b"".join(u64(q) for q in u["quota"]))
            elif op == "quota_set":
                u["quota"][1], u["quota"][3] = f[1], f[2]
                self._reply(c, reqid)
            elif op == "mbox_create":
                name = f[1].decode()
                if name in u["boxes"]:
                    self._error(c, reqid, ERR_EXISTS, "mailbox exists")
                else:
                    u["boxes"][name] = f[2]
                    self._reply(c, reqid, u64(len(u["boxes"])) + u32(1))
            elif op == "mbox_delete":
                if u["boxes"].pop(f[1].decode(), None) is None:
                    self._error(c, reqid, ERR_NOTFOUND, "no such mailbox")
                else:
                    self._reply(c, reqid)
            elif op == "mbox_rename":
                if f[1].decode() not in u["boxes"]:
                    self._error(c, reqid, ERR_NOTFOUND, "no such mailbox")
                else:
                    u["boxes"][f[2].decode()] = u["boxes"].pop(f[1].decode())
                    self._reply(c, reqid)
            elif op == "mbox_list":
                p = b""
                for i, (name, use) in enumerate(u["boxes"].items()):
                    p += u32(1) + s(name) + u64(i + 1) + u32(use) + u32(1) + u32(1) + \
                        u32(i) + u32(0) + u32(0) + u32(0) + u64(100 * i) + u64(1)
                self._reply(c, reqid, p + u32(0))
            else:
                self._error(c, reqid, 2, "unexpected")
        c.close()

    def close(self):
        self.stop_flag = True
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class AdminRelay:
    """Listens on RUNTIME/store-admin.0.sock and hands each connection to a
    real cloister-stored (store_util.Store) as CTL_PEER("admin", n) — what
    cloisterd does for its admin sockets."""

    def __init__(self, runtime_dir, store):
        self.path = os.path.join(runtime_dir, "store-admin.0.sock")
        self.store = store
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(self.path)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop_flag = False
        self.n = 5000
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop_flag:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.n += 1
            send(self.store.ctl, CTL_PEER, s("admin") + u64(self.n) + u32(1),
                 fd=c.fileno())
            c.close()

    def close(self):
        self.stop_flag = True
        self.thread.join(timeout=5)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
