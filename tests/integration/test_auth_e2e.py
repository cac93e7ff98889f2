"""authd under the real cloisterd: the supervisor spawns authd, hands it the
key, a CTL_PEER per connection worker and a CTL_CLIENT per connection; a
worker confined under imapd.policy (cloister-authworker, copied as
cloister-imapd) relays SASL through auth_client. Tickets name the instance
the supervisor gave the worker; the whole tree passes cloister-audit."""
import base64
import os
import re
import shutil
import signal
import struct
import time

import auth_util as au
from cloister_server import CloisterServer
from harness import tool, wait_for
from supervisor_util import STORED, LineClient, block

USERS = {"alice": "wonderland", "bob": "builder"}


class Server:
    def __init__(self, authd_options=None, spares=2, real_store=False, users=USERS):
        opts = {"realm": au.REALM, "failure-delay-ms": "500"}
        opts.update(authd_options or {})
        self.authd = block("authd", "auth", "authd", binary="@bin:cloister-authd@",
                           options=opts)
        self.stored = block("stored", "store", "stored",
                            binary="@bin:cloister-stored@") if real_store else STORED
        self.srv = CloisterServer([self.authd, self.stored])
        imapd_bin = os.path.join(self.srv.bin_dir, "cloister-imapd")
        shutil.copy2(tool("cloister-authworker"), imapd_bin)
        self.imapd = block("imapd", "connection", "imapd",
                           ["imap tcp 127.0.0.1:@port:imap@ plain"], binary=imapd_bin,
                           settings={"spares": spares, "prelogin_timeout": 30},
                           options={"auth": "yes"})
        self.srv.write_config([self.authd, self.stored, self.imapd])
        au.make_sasldb(os.path.join(self.srv.roots["authd"], "sasldb2"), users)

    def __enter__(self):
        self.srv.__enter__()
        self.srv.start()
        self.srv.wait_ready()
        return self.srv

    def __exit__(self, *exc):
        return self.srv.__exit__(*exc)


def connect(srv, source=None):
    c = LineClient("127.0.0.1", srv.port("imap"), source=source, timeout=10)
    m = re.match(r"\* OK authworker (\d+)$", c.readline())
    assert m
    return c, int(m.group(1))


def b64(b):
    return base64.b64encode(b).decode()


def parse_ok(line):
    m = re.match(r"\* OK user=(\S+) expiry=(\d+) ticket=([0-9a-f]+)(?: final=(\S+))?$", line)
    assert m, line
    t = bytes.fromhex(m.group(3))
    ver, expiry, instance = struct.unpack(">BQQ", t[:17])
    return {"user": m.group(1), "instance": instance, "expiry": expiry,
            "service": t[17:33].rstrip(b"\0").decode(),
            "tuser": t[34:34 + t[33]].decode(), "final": m.group(4)}


def test_logins_through_the_supervisor():
    with Server() as srv:
        c, inst = connect(srv)
        assert c.cmd("MECHS") == "* MECHS SCRAM-SHA-256:0 SCRAM-SHA-1:0 PLAIN:1 LOGIN:1"
        t = parse_ok(c.cmd("AUTH PLAIN " + b64(b"\0alice\0wonderland")))
        # the ticket is for the instance the supervisor spawned, service imapd
        assert (t["user"], t["tuser"], t["service"], t["instance"]) == \
            ("alice", "alice", "imapd", inst), t
        assert c.cmd("AUTH PLAIN " + b64(b"\0bob\0builder")).startswith("* NO reason=done")
        c.close()
        assert srv.wait_log(r" authd/\d+\[\d+\]: .*login: user=alice service=imapd "
                            r"instance=%d address=127\.0\.0\.1 mech=PLAIN" % inst)

        # SCRAM-SHA-256 with continuations, server signature checked
        c, inst = connect(srv)
        sc = au.Scram("sha256", "bob", "builder")
        ch = c.cmd("AUTH SCRAM-SHA-256 " + b64(sc.first()))
        assert ch.startswith("+ "), ch
        t = parse_ok(c.cmd(b64(sc.final(base64.b64decode(ch[2:])))))
        assert t["instance"] == inst and t["user"] == "bob"
        assert sc.check_server_final(base64.b64decode(t["final"]))
        c.close()

        # a wrong password, and LOGIN with an abort in the middle
        c, inst = connect(srv)
        assert c.cmd("AUTH PLAIN " + b64(b"\0alice\0nope")) == \
            "* NO reason=credentials authentication failed"
        assert c.cmd("AUTH LOGIN") == "+ " + b64(b"Username:")
        assert c.cmd("*") == "* BAD aborted"
        assert c.cmd("AUTH LOGIN") == "+ " + b64(b"Username:")
        assert c.cmd(b64(b"alice")) == "+ " + b64(b"Password:")
        assert parse_ok(c.cmd(b64(b"wonderland")))["instance"] == inst
        c.close()

        r = srv.audit()
        assert r.returncode == 0, r.stdout + r.stderr

        # authd holds the control channel and one channel per imapd, and
        # nothing else: no store channel, no listener, no file
        authd = srv.children("authd")[0].pid

        def fds():
            # 2, 3 and 4: its log channel to cloisterd (stats records too)
            d = "/proc/%d/fd" % authd
            return [os.readlink(os.path.join(d, f)) for f in os.listdir(d)
                    if f not in ("2", "3", "4")]

        def balanced():
            socks = [t for t in fds() if t.startswith("socket:")]
            return len(socks) == 1 + len(srv.children("imapd"))
        assert wait_for(balanced, 10), (fds(), srv.children("imapd"))
        assert not [t for t in fds() if t.startswith("/") and t != "/dev/null"], fds()


def test_per_address_limit_uses_the_address_the_supervisor_saw():
    with Server({"max-failures-per-address": "2", "failure-delay-ms": "0"}) as srv:
        for _ in range(2):
            c, _ = connect(srv)
            assert c.cmd("AUTH PLAIN " + b64(b"\0alice\0x")).startswith(
                "* NO reason=credentials")
            c.close()
        c, _ = connect(srv)
        assert c.cmd("AUTH PLAIN " + b64(b"\0alice\0wonderland")) == \
            "* NO reason=rate too many failed logins, try again later"
        c.close()
        assert srv.wait_log(r"auth refused: .*address=127\.0\.0\.1 .*reason=rate")


def test_wrong_passwords_from_one_address_do_not_lock_the_user_out():
    """Ten wrong passwords for alice from 127.0.0.2, with the default limits:
    alice still logs in at once from 127.0.0.3, while 127.0.0.2 is refused
    even with the right password (it is backing off)."""
    with Server({"failure-delay-ms": "0"}) as srv:
        for i in range(10):
            c, _ = connect(srv, "127.0.0.2")
            line = c.cmd("AUTH PLAIN " + b64(b"\0alice\0wrong%d" % i))
            assert line.startswith(("* NO reason=credentials",
                                    "* NO reason=rate")), line
            c.close()
        c, _ = connect(srv, "127.0.0.3")
        t0 = time.monotonic()
        assert c.cmd("AUTH PLAIN " + b64(b"\0alice\0wonderland")).startswith(
            "* OK"), "alice locked out"
        assert time.monotonic() - t0 < 1.0
        c.close()
        c, _ = connect(srv, "127.0.0.2")
        assert c.cmd("AUTH PLAIN " + b64(b"\0alice\0wonderland")).startswith(
            "* NO reason=rate")
        c.close()
        assert srv.wait_log(r"auth refused: user=alice .*address=127\.0\.0\.2"
                            r" reason=rate \(this user from this address")


def test_authd_killed_is_restarted_and_logins_go_on():
    with Server(spares=1) as srv:
        old = srv.children("authd")[0].pid
        os.kill(old, signal.SIGKILL)
        assert wait_for(lambda: [k.pid for k in srv.children("authd")] not in ([], [old]), 15)
        srv.wait_ready(timeout=15)
        # a worker whose authd went away ends its session (crash-only); the
        # ones spawned since talk to the new authd
        outcome = []
        for _ in range(6):
            c, inst = connect(srv)
            line = c.cmd("AUTH PLAIN " + b64(b"\0alice\0wonderland"))
            c.close()
            outcome.append(line)
            if line.startswith("* OK"):
                break
        assert outcome[-1].startswith("* OK"), outcome
        assert all(l.startswith("* OK") or l == "* BYE authd error" for l in outcome), outcome


def test_cloisterctl_through_the_supervisors_admin_socket():
    """cloisterctl against the running server: the user it adds (password
    in sasldb2, store with its mailboxes through store-admin.0.sock and
    cloisterd) logs in through authd at once; freeze holds the real store."""
    import subprocess
    with Server(real_store=True, users={}) as srv:
        def ctl(*args, password=None):
            return subprocess.run([tool("cloisterctl"), "-c", srv.config_path] + list(args),
                                  input=password, capture_output=True, text=True, timeout=60)
        r = ctl("user", "add", "dora", password="expl0rer\n")
        assert r.returncode == 0, r.stderr + "\n".join(srv.log[-20:])
        c, inst = connect(srv)
        t = parse_ok(c.cmd("AUTH PLAIN " + b64(b"\0dora\0expl0rer")))
        assert t["user"] == "dora" and t["instance"] == inst
        c.close()
        boxes = [l.split("\t")[0] for l in ctl("mailbox", "list", "dora").stdout.splitlines()]
        assert set(boxes) == {"INBOX", "Drafts", "Sent", "Junk", "Trash", "Archive"}, boxes
        assert ctl("user", "list").stdout.startswith("dora\tok\t")
        assert ctl("freeze", "--timeout", "20", "--", "true").returncode == 0
        assert ctl("user", "del", "dora").returncode == 0
        c, _ = connect(srv)
        assert c.cmd("AUTH PLAIN " + b64(b"\0dora\0expl0rer")).startswith(
            "* NO reason=credentials")
        c.close()
