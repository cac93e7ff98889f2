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

import auth_util as au
from cloister_server import CloisterServer
from harness import tool, wait_for
from supervisor_util import STORED, LineClient, block

USERS = {"alice": "wonderland", "bob": "builder"}


class Server:
    def __init__(self, authd_options=None, spares=2):
        opts = {"realm": au.REALM, "failure-delay-ms": "500"}
        opts.update(authd_options or {})
        self.authd = block("authd", "auth", "authd", binary="@bin:cloister-authd@",
                           options=opts)
        self.srv = CloisterServer([self.authd, STORED])
        imapd_bin = os.path.join(self.srv.bin_dir, "cloister-imapd")
        shutil.copy2(tool("cloister-authworker"), imapd_bin)
        self.imapd = block("imapd", "connection", "imapd",
                           ["imap tcp 127.0.0.1:@port:imap@ plain"], binary=imapd_bin,
                           settings={"spares": spares, "prelogin_timeout": 30},
                           options={"auth": "yes"})
        self.srv.write_config([self.authd, STORED, self.imapd])
        au.make_sasldb(os.path.join(self.srv.roots["authd"], "sasldb2"), USERS)

    def __enter__(self):
        self.srv.__enter__()
        self.srv.start()
        self.srv.wait_ready()
        return self.srv

    def __exit__(self, *exc):
        return self.srv.__exit__(*exc)


def connect(srv):
    c = LineClient("127.0.0.1", srv.port("imap"), timeout=10)
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
        assert srv.wait_log(r"cloister-authd.*login: user=alice service=imapd "
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
