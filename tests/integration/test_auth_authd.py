"""authd (workers/auth) under test: real SASL exchanges against a sasldb2
made with saslpasswd2, played by fake workers over socketpairs the test
makes itself, the way cloisterd will. Tickets are checked with the key the
test handed authd."""
import os
import re
import select
import socket
import struct
import time

import auth_util as au
from auth_util import (AUTH_CHALLENGE, AUTH_FAILURE, AUTH_MECHS, AUTH_START,
                       AUTH_STEP, AUTH_SUCCESS, FAIL_CREDENTIALS, FAIL_DONE,
                       FAIL_MECH, FAIL_PROTOCOL, FAIL_RATE, REALM, Authd)
from harness import is_sanitized, proc_status, run, tool, worker_fds

USERS = {"alice": "wonderland", "bob": "builder", "carol@example.org": "c4r0l"}


def ok(r, user):
    assert r is not None and r[0] == AUTH_SUCCESS, r
    assert r[2][0] == user.encode(), r
    return r


def failed(r, reason):
    assert r is not None and r[0] == AUTH_FAILURE, r
    assert r[2][0] == reason, (r, reason)


def check_ticket(a, w, r, user, lifetime=120):
    t = a_ticket = r[2][1]
    f = au.ticket_parse(a.key, a_ticket)
    assert f is not None, "ticket MAC does not verify with the key"
    assert f["user"] == user and f["service"] == w.service, f
    assert f["instance"] == w.instance, f
    now = time.time()
    assert now + lifetime - 10 <= f["expiry"] <= now + lifetime + 10, f
    assert r[2][2] == f["expiry"]
    assert au.ticket_parse(os.urandom(32), t) is None
    return f


def test_mechanisms_and_only_their_plugins():
    with Authd(USERS) as a:
        w = a.worker()
        m = w.mechs()
        assert m == {"SCRAM-SHA-256": 0, "SCRAM-SHA-1": 0, "PLAIN": au.MECH_PLAINTEXT,
                     "LOGIN": au.MECH_PLAINTEXT}, m
        with open("/proc/%d/maps" % a.proc.pid) as f:
            maps = f.read()
        for lib in ("libplain.so", "liblogin.so", "libscram.so", "libsasldb.so"):
            assert lib in maps, lib
        for lib in ("libntlm", "libcrammd5", "libdigestmd5", "libanonymous", "libgssapi"):
            assert lib not in maps, lib


def test_plain_success_mints_a_ticket_for_the_instance():
    with Authd(USERS) as a:
        w = a.worker(addr=("192.0.2.10", 5555))
        r = ok(w.plain("alice", "wonderland"), "alice")
        check_ticket(a, w, r, "alice")
        assert len(r[2]) == 3      # PLAIN has no final server data
        assert a.wait_log(r"login: user=alice service=imapd instance=%d "
                          r"address=192\.0\.2\.10 mech=PLAIN" % w.instance), a.log()
        assert au.wait_for(lambda: a.read_stats()[au.ST_AUTH_OK] == 1)


def test_plain_without_initial_response_and_with_an_empty_one():
    with Authd(USERS) as a:
        w = a.worker()
        r = w.start("PLAIN")
        assert r[0] == AUTH_CHALLENGE and r[2] == [b""], r
        ok(w.step(b"\0bob\0builder"), "bob")
        # "AUTHENTICATE PLAIN =": an empty initial response is not "none"
        w2 = a.worker()
        failed(w2.start("PLAIN", b""), FAIL_PROTOCOL)


def test_login_mechanism():
    with Authd(USERS) as a:
        w = a.worker()
        r = ok(w.login("bob", "builder"), "bob")
        check_ticket(a, w, r, "bob")
        failed(a.worker().login("bob", "wrong"), FAIL_CREDENTIALS)


def test_scram_sha256_and_sha1_with_server_signature():
    with Authd(USERS) as a:
        for h, mech in (("sha256", "SCRAM-SHA-256"), ("sha1", "SCRAM-SHA-1")):
            w = a.worker()
            r, sc = w.scram(h, mech, "alice", "wonderland")
            ok(r, "alice")
            check_ticket(a, w, r, "alice")
            assert len(r[2]) == 4 and sc.check_server_final(r[2][3]), r
            assert sc.iterations >= 4096
            r, _ = a.worker().scram(h, mech, "alice", "wrong")
            failed(r, FAIL_CREDENTIALS)
        # two exchanges never share a server nonce
        nonces = set()
        for _ in range(5):
            w = a.worker()
            sc = au.Scram("sha256", "alice", "wonderland")
            r = w.start("SCRAM-SHA-256", sc.first())
            sc.final(r[2][0])
            nonces.add(sc.server_nonce)
            w.close()
        assert len(nonces) == 5


def test_scram_does_not_tell_unknown_users_apart():
    """An unknown user gets a server-first message shaped like a real one
    (salt as long as the hash, same iterations, same nonce length, a salt
    stable per name) and fails at the end, like a wrong password."""
    def first(a, mech, user):
        w = a.worker()
        sc = au.Scram("sha1" if mech.endswith("-1") else "sha256", user, "x")
        r = w.start(mech, sc.first())
        assert r[0] == AUTH_CHALLENGE, r
        attrs = dict(kv.split("=", 1) for kv in r[2][0].decode().split(","))
        return w, sc, r, attrs

    import base64
    with Authd(USERS, options={"failure-delay-ms": "0"}) as a:
        for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
            _, _, _, real = first(a, mech, "alice")
            w, sc, r, fake = first(a, mech, "mallory")
            assert sorted(real) == sorted(fake) == ["i", "r", "s"], (real, fake)
            assert real["i"] == fake["i"]
            assert len(base64.b64decode(real["s"])) == len(base64.b64decode(fake["s"]))
            assert len(real["r"]) == len(fake["r"]) and fake["r"].startswith(sc.cnonce)
            assert first(a, mech, "mallory")[3]["s"] == fake["s"]
            assert first(a, mech, "mallet")[3]["s"] != fake["s"]
            failed(w.step(sc.final(r[2][0])), FAIL_CREDENTIALS)
        assert a.wait_log(r"auth failed: user=mallory .*reason=credentials .*decoy"), a.log()


def test_failures_are_delayed_without_blocking_other_channels():
    with Authd(USERS, options={"failure-delay-ms": "1500"}) as a:
        slow = a.worker()
        fast = a.worker()
        t0 = time.monotonic()
        au.send(slow.sock, AUTH_START, au.s("PLAIN") + au.by(b"\0alice\0wrong"), 1)
        # while slow's failure waits, fast logs in and gets its answer
        ok(fast.plain("alice", "wonderland"), "alice")
        assert not select.select([slow.sock], [], [], 0)[0], "failure came early"
        r = au.recv(slow.sock, 10)
        waited = time.monotonic() - t0
        failed(r, FAIL_CREDENTIALS)
        assert waited >= 1.5, waited
        # an unknown user is the same reason after the same delay
        t0 = time.monotonic()
        failed(a.worker().plain("mallory", "x"), FAIL_CREDENTIALS)
        assert time.monotonic() - t0 >= 1.5
        assert a.wait_log(r"auth failed: user=alice .* reason=credentials")
        assert au.wait_for(lambda: a.read_stats()[au.ST_AUTH_FAIL] == 2), a.stats


IPC_ERROR, ERR_MALFORMED, ERR_UNEXPECTED = 2, 1, 2


def refused(w, code, timeout=10.0):
    """The next record on w is ERROR(code) (docs/ipc.md, "Control records
    and unexpected requests")."""
    r = au.recv(w.sock, timeout)
    assert r is not None and r[0] == IPC_ERROR and r[2][0] == code, r
    return r


def test_a_request_while_a_failure_is_pending_is_refused_and_the_channel_stays():
    with Authd(USERS, options={"failure-delay-ms": "2000"}) as a:
        w = a.worker()
        au.send(w.sock, AUTH_START, au.s("PLAIN") + au.by(b"\0alice\0wrong"), 1)
        time.sleep(0.2)
        au.send(w.sock, AUTH_START, au.s("PLAIN") + au.by(b"\0alice\0wonderland"), 2)
        assert refused(w, ERR_UNEXPECTED)[1] == 2
        assert a.wait_log(r"auth_start while a reply is pending; refused"), a.log()
        r = au.recv(w.sock)                 # the delayed failure still comes
        assert r is not None and r[1] == 1
        failed(r, FAIL_CREDENTIALS)
        w.reqid = 2
        ok(w.plain("alice", "wonderland"), "alice")


def test_failures_lock_no_user_out():
    """A hundred wrong passwords for alice from 127.0.0.2, and more from
    twenty other addresses (the default limits; the per-user one is full):
    alice logs in at once from 127.0.0.3, an address that has not failed.
    The failing addresses are refused even with the right password, without
    the password being checked; bob is not affected."""
    with Authd(USERS, options={"failure-delay-ms": "0"}) as a:
        for i in range(100):
            r = a.worker(addr=("127.0.0.2", 1)).plain("alice", "bad%d" % i)
            assert r[0] == AUTH_FAILURE and r[2][0] in (
                FAIL_CREDENTIALS, FAIL_RATE), r
        for i in range(20):
            failed(a.worker(addr=("198.51.100.%d" % i, 1)).plain("alice", "x%d" % i),
                   FAIL_CREDENTIALS)
        t0 = time.monotonic()
        ok(a.worker(addr=("127.0.0.3", 1)).plain("alice", "wonderland"), "alice")
        r, _ = a.worker(addr=("127.0.0.3", 2)).scram("sha256", "SCRAM-SHA-256",
                                                       "alice", "wonderland")
        ok(r, "alice")
        assert time.monotonic() - t0 < 1.0
        # the failing addresses: refused unchecked (the pair backs off; the
        # full per-user limit slows addresses that failed)
        failed(a.worker(addr=("127.0.0.2", 1)).plain("alice", "wonderland"), FAIL_RATE)
        failed(a.worker(addr=("198.51.100.3", 1)).plain("alice", "wonderland"),
               FAIL_RATE)
        failed(a.worker(addr=("198.51.100.3", 1)).plain("alice@" + REALM,
                                                         "wonderland"), FAIL_RATE)
        ok(a.worker(addr=("198.51.100.3", 1)).plain("bob", "builder"), "bob")
        assert a.wait_log(r"auth failed: user=alice .*reason=rate"), a.log()
        assert a.wait_log(r"auth refused: user=alice .*address=198\.51\.100\.3"
                          r" reason=rate \(this user, from an address that has failed"), a.log()


def test_a_failing_address_meets_growing_delays():
    """alice from 127.0.0.2: no wait after one failure, then 0.6, 1.2, 2.4 s
    (failure-backoff-ms 600), refused unchecked meanwhile; the right
    password after the wait logs in."""
    opts = {"failure-delay-ms": "0", "failure-backoff-ms": "600",
            "max-failures-per-user": "0", "max-failures-per-address": "0"}
    with Authd(USERS, options=opts) as a:
        def attempt(pw):
            return a.worker(addr=("127.0.0.2", 1)).plain("alice", pw)
        failed(attempt("bad0"), FAIL_CREDENTIALS)
        failed(attempt("bad1"), FAIL_CREDENTIALS)        # a typo costs nothing
        for wait in (0.6, 1.2, 2.4):
            t = time.monotonic()
            failed(attempt("wonderland"), FAIL_RATE)      # within the wait
            # still refused past the previous wait: the delay grew
            probe = max(wait * 0.3, wait / 2 + 0.15)
            time.sleep(max(0, probe - (time.monotonic() - t)))
            failed(attempt("wonderland"), FAIL_RATE)
            time.sleep(max(0, wait + 0.15 - (time.monotonic() - t)))
            if wait < 2.4:
                failed(attempt("bad"), FAIL_CREDENTIALS)  # checked again
        ok(attempt("wonderland"), "alice")
        # the success forgot the pair: the next typo costs nothing again
        failed(attempt("bad"), FAIL_CREDENTIALS)
        ok(attempt("wonderland"), "alice")


def test_per_address_limit_holds_across_users():
    opts = {"max-failures-per-user": "0", "max-failures-per-address": "3",
            "failure-window": "3600", "failure-delay-ms": "0",
            "failure-backoff-ms": "0"}
    with Authd(USERS, options=opts) as a:
        for u in ("u1", "u2", "bob"):
            failed(a.worker(addr=("10.9.8.7", 1)).plain(u, "x"), FAIL_CREDENTIALS)
        failed(a.worker(addr=("10.9.8.7", 2)).plain("alice", "wonderland"), FAIL_RATE)
        ok(a.worker(addr=("10.9.8.6", 1)).plain("alice", "wonderland"), "alice")
        assert a.wait_log(r"auth refused: .*address=10\.9\.8\.7 .*reason=rate"), a.log()
        # IPv6: one /64 is one address
        for i in range(3):
            failed(a.worker(addr=("2001:db8:5:6::%x" % (i + 1), 1)).plain("bob", "x"),
                   FAIL_CREDENTIALS)
        failed(a.worker(addr=("2001:db8:5:6:abcd::99", 1)).plain("bob", "builder"),
               FAIL_RATE)
        ok(a.worker(addr=("2001:db8:5:7::1", 1)).plain("bob", "builder"), "bob")


def test_a_worker_cannot_get_a_ticket_for_another_instance():
    with Authd(USERS) as a:
        w1 = a.worker(instance=7001)
        w2 = a.worker(instance=7002)
        t1 = check_ticket(a, w1, ok(w1.plain("alice", "wonderland"), "alice"), "alice")
        t2 = check_ticket(a, w2, ok(w2.plain("alice", "wonderland"), "alice"), "alice")
        assert (t1["instance"], t2["instance"]) == (7001, 7002)
        # no field can name an instance: an extra u64 is a malformed request
        w3 = a.worker(instance=7003)
        au.send(w3.sock, AUTH_START, au.s("PLAIN") + au.by(b"\0alice\0wonderland") +
                au.u64(7001), 1)
        refused(w3, ERR_MALFORMED)
        assert a.wait_log(r"imapd/7003: malformed auth_start; refused"), a.log()
        # nor can a worker register a channel of its own
        w4 = a.worker(instance=7004)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        au.send(w4.sock, au.CTL_PEER, au.s("imapd") + au.u64(7001) + au.u32(0),
                fd=theirs.fileno())
        theirs.close()
        refused(w4, ERR_UNEXPECTED)
        assert a.wait_log(r"imapd/7004: unexpected ctl_peer from imapd; refused"), a.log()
        try:
            au.send(mine, AUTH_MECHS, b"", 1)
            assert au.recv(mine, 1) is None
        except BrokenPipeError:
            pass                             # closed by authd, never served
        assert a.alive()


def test_one_login_per_instance():
    with Authd(USERS, options={"failure-delay-ms": "5000"}) as a:
        w = a.worker()
        ok(w.plain("alice", "wonderland"), "alice")
        t0 = time.monotonic()
        failed(w.plain("bob", "builder"), FAIL_DONE)
        assert time.monotonic() - t0 < 4, "DONE must not wait out the failure delay"
        failed(a.worker().start("NOPE"), FAIL_MECH)


def test_malformed_and_unexpected_requests_are_refused_and_the_channel_stays():
    cases = [
        ("short record", ERR_MALFORMED, lambda w: w.sock.send(b"\0\0\0\x65\0\0")),
        ("unknown type", ERR_UNEXPECTED, lambda w: au.send(w.sock, 9999)),
        ("a reply type", ERR_UNEXPECTED,
         lambda w: au.send(w.sock, AUTH_SUCCESS, au.s("alice"))),
        ("a store message", ERR_UNEXPECTED,
         lambda w: au.send(w.sock, au.STORE_HELLO, au.by(b"t"))),
        ("a control record", ERR_UNEXPECTED,
         lambda w: au.send(w.sock, au.CTL_KEY, au.u32(au.IPC_VERSION) + au.by(b"k" * 32))),
        ("step with no exchange", ERR_UNEXPECTED,
         lambda w: au.send(w.sock, AUTH_STEP, au.by(b"x"))),
        ("wrong field kind", ERR_MALFORMED,
         lambda w: au.send(w.sock, AUTH_START, au.by(b"PLAIN"))),
        ("an fd", ERR_MALFORMED, lambda w: au.send(w.sock, AUTH_MECHS, b"", fd=0)),
        ("lower-case mech", ERR_MALFORMED, lambda w: au.send(w.sock, AUTH_START, au.s("plain"))),
        ("oversized response", ERR_MALFORMED,
         lambda w: au.send(w.sock, AUTH_START, au.s("PLAIN") + au.by(b"x" * 16385))),
    ]
    with Authd(USERS) as a:
        for name, code, bad in cases:
            w = a.worker()
            bad(w)
            refused(w, code)
            w.reqid = 1
            ok(w.plain("alice", "wonderland"), "alice")
        # a refused record ends the exchange in progress
        w = a.worker()
        r = w.start("LOGIN")
        assert r[0] == AUTH_CHALLENGE, r
        au.send(w.sock, 9999, b"", 7)
        refused(w, ERR_UNEXPECTED)
        w.reqid = 7
        refused_step = w.step(b"alice")
        assert refused_step[0] == IPC_ERROR and refused_step[2][0] == ERR_UNEXPECTED
        assert a.alive()


def test_realms_and_user_at_domain():
    with Authd(USERS, options={"failure-delay-ms": "0"}) as a:
        # plain names live in the default realm; naming it changes nothing
        ok(a.worker().plain("alice", "wonderland"), "alice")
        r = ok(a.worker().plain("alice@" + REALM, "wonderland"), "alice")
        assert au.ticket_parse(a.key, r[2][1])["user"] == "alice"
        # a user in another realm logs in with the domain, and keeps it
        w = a.worker()
        r = ok(w.plain("carol@example.org", "c4r0l"), "carol@example.org")
        check_ticket(a, w, r, "carol@example.org")
        r, _ = a.worker().scram("sha256", "SCRAM-SHA-256", "carol@example.org", "c4r0l")
        ok(r, "carol@example.org")
        failed(a.worker().plain("carol", "c4r0l"), FAIL_CREDENTIALS)
        # names authd refuses before any lookup
        for bad in ("a b", "a/b", "@x", "x@", "a@b@c", "\x01x"):
            failed(a.worker().plain(bad, "x"), FAIL_CREDENTIALS)


def test_default_realm_is_the_one_saslpasswd2_uses():
    # no realm anywhere: saslpasswd2 without -u, authd without 'realm'
    a = Authd({"dave": "d4ve"}, realm=None, sasldb_realm=None)
    a.sasldb_realm = None
    os.unlink(a.sasldb)
    au.make_sasldb(a.sasldb, {"dave": "d4ve"}, realm=None)
    with a:
        ok(a.worker().plain("dave", "d4ve"), "dave")


def test_authorization_identity_must_be_the_authenticated_one():
    with Authd(USERS, options={"failure-delay-ms": "0"}) as a:
        failed(a.worker().plain("alice", "wonderland", authzid="bob"), FAIL_CREDENTIALS)
        ok(a.worker().plain("alice", "wonderland", authzid="alice"), "alice")


def test_after_a_failure_the_exchange_is_gone():
    with Authd(USERS, options={"failure-delay-ms": "0"}) as a:
        w = a.worker()
        r = w.start("LOGIN")
        assert r[0] == AUTH_CHALLENGE
        r = w.step(b"alice")
        assert r[0] == AUTH_CHALLENGE
        failed(w.step(b"nope"), FAIL_CREDENTIALS)
        # after a failure the exchange is gone
        au.send(w.sock, AUTH_STEP, au.by(b"x"), 9)
        assert refused(w, ERR_UNEXPECTED)[1] == 9
        assert a.wait_log(r"no exchange in progress; refused"), a.log()


def test_authd_is_confined_and_passes_the_audit():
    with Authd(USERS) as a:
        w = a.worker()
        ok(w.plain("alice", "wonderland"), "alice")
        pid = a.proc.pid
        st = proc_status(pid)
        import pwd
        uid = pwd.getpwnam("cloister-auth").pw_uid
        assert st["Uid"].split() == [str(uid)] * 4, st["Uid"]
        assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1"
        assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
        assert os.readlink("/proc/%d/root" % pid) == a.root
        # at rest: no file open (sasldb2 is opened per lookup), sockets are
        # only the ones it was given (control + one channel), no listener
        fds = worker_fds(pid)
        socks = [t for t in fds.values() if t.startswith("socket:")]
        assert len(socks) == 2, fds
        assert not any(t.startswith("/") and t != "/dev/null" for t in fds.values()), fds
        with open("/proc/%d/net/unix" % pid) as f:
            inodes = {t[8:-1] for t in socks}
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[6] in inodes:
                    assert parts[3] == "00000000", line   # not listening
        r = run([tool("cloister-audit"), "-d", os.path.dirname(a.policy), "%d:authd" % pid])
        assert r.returncode == 0, r.stdout + r.stderr


def authd_dies_of(setup, message):
    """Start authd, break the control channel's rule with setup(a): authd
    logs message and exits non-zero."""
    a = Authd(USERS)
    try:
        setup(a)
        assert au.wait_for(lambda: not a.alive(), 10)
        assert a.proc.returncode != 0
        assert a.wait_log(message), a.log()
    finally:
        a.stop()


def test_control_channel_errors_are_fatal():
    def peer_before_key(a):
        a.start(send_key=False, wait=True)
        try:
            a.worker()
        except BrokenPipeError:
            pass        # it may die before the CTL_CLIENT that follows

    def key_of_another_version(a):
        a.start(send_key=False, wait=True)
        au.send(a.ctl, au.CTL_KEY, au.u32(au.IPC_VERSION + 1) + au.by(a.key))

    def second_key(a):
        a.start(wait=True)
        au.send(a.ctl, au.CTL_KEY, au.u32(au.IPC_VERSION) + au.by(a.key))

    def malformed_record(a):
        a.start(wait=True)
        a.ctl.send(b"\0\0\0")

    def a_peer_without_its_fd(a):
        a.start(wait=True)
        au.send(a.ctl, au.CTL_PEER, au.s("imapd") + au.u64(9) + au.u32(0))

    authd_dies_of(peer_before_key, r"ctl_peer before ctl_key from the supervisor")
    authd_dies_of(key_of_another_version, r"malformed ctl_key from the supervisor")
    authd_dies_of(second_key, r"second ctl_key from the supervisor")
    authd_dies_of(malformed_record, r"malformed record from the supervisor")
    authd_dies_of(a_peer_without_its_fd, r"malformed ctl_peer from the supervisor")


def test_a_record_of_another_ipc_version_is_refused():
    """A worker's record of the next IPC version closes only that channel,
    with one line naming both versions, where the same record of this
    version is answered; from the supervisor it ends authd."""
    line = r"IPC version %d from peer, expected %d" % (au.IPC_VERSION + 1,
                                                       au.IPC_VERSION)
    with Authd(USERS) as a:
        w = a.worker()
        au.send(w.sock, AUTH_MECHS, version=au.IPC_VERSION + 1)
        assert w.closed()
        assert a.wait_log(r"imapd/%d: %s; closing its channel" % (w.instance, line)), \
            a.log()
        assert a.alive()
        assert "PLAIN" in a.worker().mechs()
    a = Authd(USERS)
    try:
        a.start(send_key=False, wait=True)
        au.send(a.ctl, au.CTL_KEY, au.u32(au.IPC_VERSION) + au.by(a.key),
                version=au.IPC_VERSION + 1)
        assert au.wait_for(lambda: not a.alive(), 10)
        assert a.wait_log(r"control channel: " + line), a.log()
    finally:
        a.stop()


def test_supervisor_gone_authd_exits():
    with Authd(USERS) as a:
        w = a.worker()
        a.ctl.close()
        assert au.wait_for(lambda: not a.alive(), 10)
        assert a.proc.returncode == 0
        assert w.closed()


def test_bad_options_are_refused_with_file_and_line():
    for opts, msg in (({"no-such-option": "1"}, r"unknown option 'no-such-option'"),
                      ({"failure-delay-ms": "abc"}, r"bad size 'abc' for failure-delay-ms"),
                      ({"ticket-lifetime": "999999"}, r"cloister.conf:\d+: ticket-lifetime is 5\.\.3600"),
                      ({"mechanisms": "PLAIN ANONYMOUS"}, r"'ANONYMOUS' is not a mechanism"),
                      ({"mechanisms": "SCRAM-SHA-512 PLAIN"}, None)):
        a = Authd(USERS, options=opts)
        try:
            a.start(wait=False)
            if msg is None:      # installed on Debian 12: starts
                assert a.wait_log("serving"), a.log()
                m = a.worker().mechs()
                assert set(m) == {"SCRAM-SHA-512", "PLAIN"}, m
                continue
            assert a.proc.wait(timeout=20) != 0
            assert a.wait_log(msg), (opts, a.log())
        finally:
            a.stop()


def test_a_start_waits_for_the_client_address():
    """The supervisor may queue CTL_CLIENT behind the worker's first
    request: authd holds the AUTH_START until the address comes (or 1 s),
    so the per-address limit always sees the real address."""
    opts = {"max-failures-per-address": "1", "failure-window": "3600",
            "failure-delay-ms": "0"}
    with Authd(USERS, options=opts) as a:
        failed(a.worker(addr=("192.0.2.99", 1)).plain("bob", "x"), FAIL_CREDENTIALS)
        w = a.worker(addr=None)
        au.send(w.sock, AUTH_START, au.s("PLAIN") + au.by(b"\0alice\0wonderland"), 1)
        assert not select.select([w.sock], [], [], 0.3)[0], "started without an address"
        a.client(w.instance, ("192.0.2.99", 2))
        failed(au.recv(w.sock), FAIL_RATE)          # the blocked address applies
        # no address ever: after the wait, it runs as "unknown"
        w = a.worker(addr=None)
        t0 = time.monotonic()
        ok(w.plain("alice", "wonderland"), "alice")
        assert time.monotonic() - t0 >= 0.9
        assert a.wait_log(r"imapd/%d: no client address .* 'unknown'" % w.instance), a.log()
        assert a.wait_log(r"login: user=alice .*instance=%d address=unknown" % w.instance)


def test_ping_is_answered():
    with Authd(USERS) as a:
        w = a.worker()
        r = w.request(au.PING, au.s("are you there"))
        assert r[0] == au.PONG and r[2] == [b"are you there"], r


def test_a_full_stats_pipe_does_not_stall_authd():
    # a pipe nobody reads, handed over blocking: authd makes its end
    # non-blocking and loses statistics, not service (64 KiB = ~550 records)
    a = Authd(USERS, options={"failure-delay-ms": "0"})
    try:
        a.start(blocking_stats=True)
        for i in range(800):
            w = a.worker()
            r = w.plain("alice", "wonderland")
            assert r is not None and r[0] == AUTH_SUCCESS, (i, r)
            w.close()
    finally:
        a.stop()


def _memory_hits(pid, needles):
    """Which needles occur in the process's writable memory (root reads
    /proc/PID/mem even of a non-dumpable process)."""
    found = set()
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if "rw" not in parts[1] or hi - lo > 256 << 20:   # ASan's shadow
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            found |= {n for n in needles if n in data}
    return found


def test_no_password_is_left_in_authd_memory():
    """After PLAIN, LOGIN and SCRAM logins, right and wrong, neither the
    password the client sent nor the one in sasldb2 is anywhere in authd's
    writable memory: libsasl2's frees are wiped, request buffers are wiped,
    the stack its lookups used is scrubbed."""
    right, wrong = "Wond3rland-right-pw", "Zq9-the-wrong-pw-77"
    with Authd({"alice": right}, options={"failure-delay-ms": "0",
                                          "failure-backoff-ms": "0"}) as a:
        if is_sanitized(a.proc.pid):
            print("    (sanitizer build: ASan owns the allocator, nothing to check)")
            return
        for pw in (right, wrong):
            a.worker().plain("alice", pw)
            a.worker().login("alice", pw)
            a.worker().scram("sha256", "SCRAM-SHA-256", "alice", pw)
            a.worker().scram("sha1", "SCRAM-SHA-1", "alice", pw)
        ok(a.worker().plain("alice", right), "alice")     # it did work
        time.sleep(0.2)
        left = _memory_hits(a.proc.pid, {right.encode(), wrong.encode()})
        assert not left, left
