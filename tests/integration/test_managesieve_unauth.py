"""ManageSieve UNAUTHENTICATE (RFC 5804 2.14.1) under a real cloisterd
with authd, keyd, stored and cloister-managesieved ('set max-relogins 8'):
a client logs out on its connection and logs in as another user, who sees
only their own scripts; the session is before login again (limits,
`cloisterctl who`); eight re-logins per connection, the ninth refused; the
old channels are gone from authd and stored. And what a hijacked worker
gets from cloisterd (a Python stand-in playing one): the old ticket is
refused on the new store channel, cloisterd's bound holds whatever the
worker counts, asks beyond it kill it, and a worker of a service without
max-relogins that asks is killed at once."""
import atexit
import errno
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import TOP, service_block, tool, wait_for
from imap_util import ImapServer, have_stored
from managesieve_util import SieveServer

_SRV = None


def server():
    global _SRV
    if _SRV is None:
        _SRV = SieveServer(options={"max-relogins": 8},
                           settings={"prelogin-timeout": 5}).start()
        atexit.register(_SRV.close)
    return _SRV


def who(srv):
    r = subprocess.run([tool("cloisterctl"), "-c", srv.srv.config_path, "who"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [l.split("\t") for l in r.stdout.splitlines()[1:]]


def sieve_pid_user(srv, pid):
    return [r[2] for r in who(srv) if r[0] == "managesieved" and r[1] == str(pid)]


def only_child(srv, before):
    """The managesieved pid serving the new connection: the busy one."""
    def busy():
        rows = [r for r in who(srv) if r[0] == "managesieved"]
        return [int(r[1]) for r in rows if int(r[1]) not in before]
    assert wait_for(lambda: len(busy()) == 1, 10), who(srv)
    return busy()[0]


def test_unauthenticate_then_another_user_sees_only_their_scripts():
    srv = server()
    before = {int(r[1]) for r in who(srv) if r[0] == "managesieved"}
    c = srv.login("alice")
    pid = only_child(srv, before)
    assert wait_for(lambda: sieve_pid_user(srv, pid) == ["alice"], 10), who(srv)
    st, lines = c.cmd(b"CAPABILITY")
    assert b'"UNAUTHENTICATE"' in lines and b'"OWNER" "alice"' in lines, lines
    if have_stored():
        st, _ = c.put("alice-secret", "keep;\r\n")
        assert st.startswith(b"OK"), st
    st, _ = c.cmd(b"UNAUTHENTICATE")
    assert st.startswith(b"OK"), st
    # before login again: no owner, the mechanisms, no UNAUTHENTICATE
    st, lines = c.cmd(b"CAPABILITY")
    caps = c.capabilities(lines)
    assert "OWNER" not in caps and "UNAUTHENTICATE" not in caps, caps
    assert "PLAIN" in caps["SASL"].split(), caps
    st, _ = c.cmd(b"LISTSCRIPTS")
    assert st.startswith(b"NO") and b"Authenticate first" in st, st
    assert wait_for(lambda: sieve_pid_user(srv, pid) == ["-"], 10), who(srv)
    st, _ = c.auth_plain("bob", "builder")
    assert st.startswith(b"OK"), st
    assert wait_for(lambda: sieve_pid_user(srv, pid) == ["bob"], 10), who(srv)
    st, lines = c.cmd(b"CAPABILITY")
    assert b'"OWNER" "bob"' in lines, lines
    if have_stored():
        st, lines = c.cmd(b"LISTSCRIPTS")
        assert st.startswith(b"OK") and not any(b"alice" in l for l in lines), lines
        for cmd in (b'GETSCRIPT "alice-secret"', b'SETACTIVE "alice-secret"',
                    b'DELETESCRIPT "alice-secret"'):
            st, lines = c.cmd(cmd)
            assert st.startswith(b"NO (NONEXISTENT)"), (cmd, st)
        st, _ = c.put("bob-own", "keep;\r\n")
        assert st.startswith(b"OK"), st
        st, lines = c.cmd(b"LISTSCRIPTS")
        assert b'"bob-own"' in lines, lines
    assert srv.srv.wait_log(r"managesieved/\d+\[%d\]: re-login 1 of 8: fresh"
                            r" channels as instance \d+" % pid, 5), srv.srv.log[-20:]
    c.close()


def test_a_worker_past_a_relogin_passes_cloister_audit():
    """Its channels now sit at the numbers recvmsg gave them: the audit of
    the live worker (fds, seccomp, namespaces) still passes."""
    srv = server()
    c = srv.login("alice")
    st, _ = c.cmd(b"UNAUTHENTICATE")
    assert st.startswith(b"OK"), st
    st, _ = c.auth_plain("bob", "builder")
    assert st.startswith(b"OK"), st
    r = srv.srv.audit(json_out=True)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    ms = [p for p in doc["processes"] if p["service"] == "managesieved"]
    assert len(ms) >= 2 and all(p["live"]["seccomp_filter"]["match"]
                                for p in ms), ms
    st, _ = c.cmd(b"LISTSCRIPTS")
    assert st.startswith(b"OK"), st
    c.close()


def fds_of(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_eight_relogins_then_refused_and_the_old_channels_go():
    srv = server()
    peers = [c.pid for c in srv.srv.children() if c.service in ("authd", "stored")]
    assert len(peers) >= 2, srv.srv.children()
    c = srv.login("alice")
    time.sleep(0.5)
    base = {p: fds_of(p) for p in peers}
    users = ["bob", "alice"] * 4
    for i, u in enumerate(users):
        st, _ = c.cmd(b"UNAUTHENTICATE")
        assert st.startswith(b"OK"), (i, st)
        st, _ = c.auth_plain(u, srv.users[u])
        assert st.startswith(b"OK"), (i, u, st)
        st, lines = c.cmd(b"CAPABILITY")
        assert ('"OWNER" "%s"' % u).encode() in lines, lines
    assert b'"UNAUTHENTICATE"' not in lines, lines     # used up: not offered
    st, _ = c.cmd(b"UNAUTHENTICATE")
    assert st.startswith(b"NO") and b"No more logins" in st, st
    st, _ = c.cmd(b'NOOP "on"')                          # still alice's session
    assert st.startswith(b"OK"), st
    st, lines = c.cmd(b"CAPABILITY")
    assert b'"OWNER" "alice"' in lines, lines
    # authd and stored closed each old channel when the worker did: their
    # descriptors did not grow with the eight re-logins
    time.sleep(0.5)
    for p in peers:
        assert fds_of(p) <= base[p] + 2, (p, base[p], fds_of(p))
    c.close()


def test_limits_and_deadline_before_login_apply_again():
    srv = server()
    c = srv.login("alice")
    big = b"#" * (30 * 1024) + b"\r\nkeep;\r\n"
    st, _ = c.cmd(b'CHECKSCRIPT {%d+}\r\n' % len(big) + big)   # logged in: fine
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b"UNAUTHENTICATE")
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b'CHECKSCRIPT {%d+}\r\n' % len(big) + big)   # before login
    assert st is not None and st.startswith(b"BYE"), st
    c.close()
    c = srv.login("alice")
    st, _ = c.cmd(b"UNAUTHENTICATE")
    assert st.startswith(b"OK"), st
    t0 = time.time()
    st, _ = c.response()                                         # prelogin-timeout 5
    assert st is not None and st.startswith(b"BYE") and b"Login time limit" in st, st
    assert time.time() - t0 < 9, time.time() - t0
    c.close()


# ---- a hijacked worker: a Python stand-in under cloisterd ----

FAKE = r'''#!/usr/bin/python3
# A hijacked managesieved: logs in, asks cloisterd for fresh channels,
# replays the old ticket on them, then asks past the bound.
import array, json, os, socket, struct, sys, time
sys.path.insert(0, %(dir)r)
from cloister_ipc import (CTL_READY_RECORD, T, b, decode, record, recv_record,
                          s, send_record, store_shard_of)
OUT = %(out)r
ctl = socket.socket(fileno=5)
ctl.send(CTL_READY_RECORD)
recv_record(ctl, None)                      # CTL_CONN: busy from now on


def have(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


auth = socket.socket(fileno=6)
stores = [socket.socket(fileno=8 + i) for i in range(8) if have(8 + i)]


def login(a, user, pw):
    send_record(a, T["AUTH_START"], 1,
                s("PLAIN") + b(b"\0" + user.encode() + b"\0" + pw.encode()))
    typ, _, _, payload, _ = recv_record(a, 10)
    f = decode(payload)
    return f[1] if typ == T["AUTH_SUCCESS"] else None


def hello(sts, user, ticket):
    st = sts[store_shard_of(user, len(sts))]
    send_record(st, T["STORE_HELLO"], 7, b(ticket))
    typ, _, _, payload, _ = recv_record(st, 10)
    f = decode(payload)
    return ["ok" if typ == T["OK"] else "error", [x.decode() if
            isinstance(x, bytes) else x for x in f]]


def inst(t):
    return struct.unpack(">Q", t[9:17])[0]


def ask():
    ctl.send(record(T["CTL_RELOGIN_ASK"]))
    ctl.settimeout(10)
    fds = array.array("i")
    data, anc, _, _ = ctl.recvmsg(1024, socket.CMSG_LEN(16 * fds.itemsize))
    for lvl, kind, raw in anc:
        if lvl == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(raw[:len(raw) - len(raw) %% fds.itemsize])
    assert struct.unpack(">I", data[:4])[0] == T["CTL_RELOGIN"]
    return decode(data[16:])[0], list(fds)


r = {}
t1 = login(auth, "alice", "wonderland")
r["t1"] = inst(t1)
r["alice_old"] = hello(stores, "alice", t1)
r["asks"] = []
users = ["bob", "alice"] * 5
for i in range(9):
    time.sleep(0.4)                         # authd's login report lands
    err, fds = ask()
    r["asks"].append([err, len(fds)])
    if err:
        break
    new_auth = socket.socket(fileno=fds[0])
    new_stores = [socket.socket(fileno=x) for x in fds[1:]]
    if i == 0:
        r["replay"] = hello(new_stores, "alice", t1)
        try:
            r["old_auth_again"] = login(auth, "bob", "builder") is not None
        except OSError:
            r["old_auth_again"] = False     # authd closed it
    t = login(new_auth, users[i], users[i] == "bob" and "builder" or "wonderland")
    r.setdefault("instances", []).append(inst(t))
    r.setdefault("hellos", []).append(hello(new_stores, users[i], t))
    auth, stores = new_auth, new_stores
with open(OUT + ".tmp", "w") as f:
    json.dump(r, f)
os.rename(OUT + ".tmp", OUT)
for _ in range(40):                         # past the bound: killed
    ask()
time.sleep(30)
'''


def fake_worker(out):
    d = tempfile.mkdtemp(prefix="cloister-fake-sieve-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "fake-managesieved")
    with open(path, "w") as f:
        f.write(FAKE % {"dir": os.path.join(TOP, "tests", "integration"),
                        "out": out})
    os.chmod(path, 0o755)
    return path


def fake_server(relogins, out):
    svc = service_block("managesieved", "connection", fake_worker(out),
                        "managesieved", ["fake tcp 127.0.0.1:@port:fake@ plain"],
                        settings={"spares": 1},
                        options={"auth": "yes", "max-relogins": relogins})
    isrv = ImapServer(users={"alice": "wonderland", "bob": "builder"},
                      extra_services=[svc])
    isrv.srv.start()        # not wait_ready: the stand-in never confines itself
    if have_stored():
        for u in isrv.users:
            isrv.store_user(u)
    assert wait_for(lambda: isrv.srv.children("managesieved"), 20), isrv.srv.log[-20:]
    client = socket.create_connection(("127.0.0.1", isrv.srv.port("fake")))
    return isrv, client


def cleanup(isrv, client, out):
    client.close()
    isrv.close()
    for f in (out, out + ".tmp"):
        if os.path.exists(f):
            os.unlink(f)
    for d in {os.path.dirname(l.split("binary", 1)[1].strip())
              for l in isrv.srv.config_text.splitlines()
              if "fake-managesieved" in l and "binary" in l}:
        shutil.rmtree(d, ignore_errors=True)


def test_a_hijacked_worker_gets_nothing_an_old_ticket_or_the_bound_does_not_allow():
    out = tempfile.mktemp(prefix="cloister-relogin-", suffix=".json")
    isrv, client = fake_server(8, out)
    srv = isrv.srv
    try:
        assert wait_for(lambda: os.path.exists(out), 40), srv.log[-30:]
        with open(out) as f:
            r = json.load(f)
        assert r["alice_old"][0] == "ok", r
        # eight grants (authd's channel and one per shard), the ninth EDQUOT
        assert [a[0] for a in r["asks"]] == [0] * 8 + [errno.EDQUOT], r["asks"]
        assert all(a[1] >= 2 for a in r["asks"][:8]), r["asks"]
        # the old ticket names the old instance: the new store channel
        # refuses it; the old authd channel mints no second ticket
        assert r["replay"][0] == "error" and r["replay"][1][0] == 3, r["replay"]
        assert r["old_auth_again"] is False, r
        assert r["t1"] not in r["instances"] and \
            len(set(r["instances"])) == 8, r
        assert all(h[0] == "ok" for h in r["hellos"]), r["hellos"]
        assert srv.wait_log(r"CTL_RELOGIN_ASKs on one connection; killing it",
                            20), srv.log[-20:]
        assert srv.wait_log(r"refused a ticket from managesieved\[%d\]: .*another"
                            r" instance" % r["instances"][0], 5), srv.log[-30:]
    finally:
        cleanup(isrv, client, out)


def test_a_worker_of_a_service_without_relogins_that_asks_reaches_no_one():
    """Without max-relogins a busy, ready worker's control channel is
    closed (it costs cloisterd no fd): its CTL_RELOGIN_ASK fails at the
    send, no channels come back, and cloisterd parsed nothing."""
    out = tempfile.mktemp(prefix="cloister-relogin-", suffix=".json")
    isrv, client = fake_server(None, out)
    srv = isrv.srv
    try:
        line = srv.wait_log(r"managesieved/\d+\[\d+\]: stderr: BrokenPipeError", 15)
        assert line, srv.log[-20:]
        assert srv.wait_log(r"managesieved: pid \d+ instance \d+ exited with"
                            r" status 1", 5), srv.log[-20:]
        assert not os.path.exists(out)
        assert not srv.wait_log(r"managesieved: .*on its control channel", 0)
        assert not srv.wait_log(r"re-login", 0)
    finally:
        cleanup(isrv, client, out)


def test_max_relogins_is_only_for_a_connection_service_with_auth():
    from cloister_server import CloisterServer
    from supervisor_util import AUTHD, STORED, imapd
    why = ("service imapd: max-relogins is 0..64, and only for a connection"
           " service with 'set auth yes'")
    for svc in (imapd(options={"max-relogins": 8}),
                imapd(auth=True, options={"max-relogins": 65})):
        with CloisterServer([AUTHD, STORED, svc]) as srv:
            line = next(i for i, l in enumerate(srv.config_text.splitlines(), 1)
                        if l.startswith("service imapd"))
            r = subprocess.run([tool("cloisterd"), "-f", "-c", srv.config_path],
                               capture_output=True, text=True, timeout=10)
            want = "%s:%d: %s" % (srv.config_path, line, why)
            assert r.returncode == 1 and want in r.stderr, (want, r.stderr)


def test_a_relogged_client_counts_against_max_prelogin():
    """After UNAUTHENTICATE the worker is a client before login for
    max-prelogin: with max-prelogin 1 and another client already waiting
    to log in, the ask is refused (NO (TRYLATER), the session goes on);
    granted, the next client to connect makes room by closing it."""
    srv = SieveServer(options={"max-relogins": 8},
                      settings={"max-prelogin": 1, "prelogin-timeout": 20}).start()
    try:
        before = {int(r[1]) for r in who(srv) if r[0] == "managesieved"}
        a = srv.login("alice")
        a_pid = only_child(srv, before)
        waiting = srv.client()                  # before login: max-prelogin full
        st, _ = a.cmd(b"UNAUTHENTICATE")
        assert st.startswith(b"NO (TRYLATER)"), st
        st, lines = a.cmd(b"CAPABILITY")
        assert b'"OWNER" "alice"' in lines, lines
        waiting.close()                         # its worker leaves: room again
        assert wait_for(lambda: [r[1] for r in who(srv) if r[0] == "managesieved"]
                        == [str(a_pid)], 10), who(srv)
        st, _ = a.cmd(b"UNAUTHENTICATE")
        assert st.startswith(b"OK"), st
        b = srv.client()                        # makes room: a is closed
        assert b.greeting[0] is not None and b.greeting[0].startswith(b"OK")
        assert srv.srv.wait_log(r"managesieved/\d+\[%d\]: info: session end: user=- .*"
                                r"reason=kicked max_prelogin=1" % a_pid, 10), \
            srv.srv.log[-20:]
        st, _ = a.cmd(b"NOOP")
        assert st is None, st
        b.close()
        a.close()
    finally:
        srv.close()
