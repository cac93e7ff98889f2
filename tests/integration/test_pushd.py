"""cloister-pushd end to end, as a phone sees it: cloisterd starts pushd
(role push) with a channel to every stored shard; a PushSubscription
created over JMAP gets a PushVerification at the loopback push service,
the client echoes the code back, and an IMAP APPEND then makes the
service receive a StateChange that decrypts with the subscription's keys
(RFC 8291) and carries a VAPID token that verifies (RFC 8292). pushd
killed with SIGKILL is restarted by cloisterd and pushes resume."""
import json
import os
import signal
import time

import test_jmap_http as jh
from harness import service_block, wait_for
from imap_util import ImapServer, need_stored
from push_receiver import Receiver, UserAgent, check_vapid, vapid_key_file
from test_jmap_create_identity import api


SUBJECT = "mailto:postmaster@example.org"


def pushd_block(rcv, vpath, keyd=False):
    """pushd holding the VAPID key (vpath), or asking keyd for tokens."""
    key = {"keyd": "yes"} if keyd else {"vapid-key": vpath,
                                        "vapid-subject": SUBJECT}
    return service_block(
        "pushd", "push", "@bin:cloister-pushd@", "pushd",
        options=dict(key, **{"push-ca": rcv.ca, "push-test-port": rcv.port,
                             "push-allow-loopback": "yes",
                             "push-timeout": 5}))


def push_server(rcv, vpath, keyd=False):
    need_stored()
    return ImapServer(
        users=jh.USERS, extra_services=[
            jh.jmapd_block({"push-allow-loopback": "yes"}),
            pushd_block(rcv, vpath, keyd)],
        keyd_options={"vapid-key": vpath, "vapid-subject": SUBJECT}
        if keyd else None)


def got(rcv, n, timeout=20, srv=None):
    assert wait_for(lambda: len(rcv.got) >= n, timeout), (
        rcv.got, [l for l in (srv.srv.log if srv else []) if "push" in l])
    return rcv.got[n - 1]


def subscribe(c, rcv, ua, path):
    s, = api(c, [["PushSubscription/set", {"create": {"a": {
        "deviceClientId": "phone-1", "url": rcv.url(path),
        "keys": {"p256dh": ua.p256dh, "auth": ua.auth_b64}}}}, "s"]])
    return s["created"]["a"]["id"]


def verify(c, rcv, ua, pid, n, srv=None):
    p, headers, body = got(rcv, n, srv=srv)
    v = json.loads(ua.decrypt(body))
    assert v["@type"] == "PushVerification", v
    assert v["pushSubscriptionId"] == pid, v
    u, = api(c, [["PushSubscription/set", {"update": {pid: {
        "verificationCode": v["verificationCode"]}}}, "u"]])
    assert pid in u["updated"], u


def append(srv):
    m = srv.login("alice")
    typ, _ = m.append("INBOX", None, None,
                      b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n")
    assert typ == "OK", typ
    m.logout()


def state_change(rcv, ua, vkey, n):
    path, headers, body = got(rcv, n)
    change = json.loads(ua.decrypt(body))
    assert change["@type"] == "StateChange", change
    (acct, types), = change["changed"].items()
    assert "Email" in types and "Mailbox" in types, types
    claims = check_vapid(headers["Authorization"],
                         "https://127.0.0.1:%d" % rcv.port, vkey)
    assert claims["sub"] == "mailto:postmaster@example.org", claims
    return path


def kill_and_push_again(srv, rcv, ua, vkey, victim):
    """SIGKILL to victim (pushd or stored): a new pushd is started, and
    once it and stored are back an APPEND is pushed again."""
    old, = [p.pid for p in srv.srv.children("pushd")]
    dead, = [p.pid for p in srv.srv.children(victim)]
    os.kill(dead, signal.SIGKILL)
    assert wait_for(lambda: [p.pid for p in srv.srv.children(
        "pushd")] not in ([], [old]), 20), srv.srv.log[-20:]
    n = len(rcv.got)
    for _ in range(20):          # until stored and the new pushd are up
        try:
            append(srv)
        except Exception:        # stored still starting: IMAP says NO
            time.sleep(0.5)
            continue
        if wait_for(lambda: len(rcv.got) > n, 1):
            break
    state_change(rcv, ua, vkey, n + 1)


def test_verification_state_change_and_restart(keyd=False):
    with Receiver() as rcv:
        vkey, vpath = vapid_key_file(rcv.tmp)
        os.chmod(vpath, 0o600)
        with push_server(rcv, vpath, keyd) as srv:
            c = jh.client(srv)
            ua = UserAgent()
            pid = subscribe(c, rcv, ua, "/p/phone1")
            verify(c, rcv, ua, pid, 1, srv)
            append(srv)
            assert state_change(rcv, ua, vkey, 2) == "/p/phone1"
            # kill -9: cloisterd restarts it, pushes resume
            kill_and_push_again(srv, rcv, ua, vkey, "pushd")


def test_a_gone_subscription_is_deleted():
    with Receiver() as rcv:
        _, vpath = vapid_key_file(rcv.tmp)
        with push_server(rcv, vpath) as srv:
            c = jh.client(srv)
            ua = UserAgent()
            keep = subscribe(c, rcv, ua, "/p/keep")
            got(rcv, 1, srv=srv)
            gone = subscribe(c, rcv, ua, "/gone")   # the service says 410

            def ids():
                g, = api(c, [["PushSubscription/get", {}, "g"]])
                return sorted(x["id"] for x in g["list"])
            assert wait_for(lambda: ids() == [keep], 20), (
                ids(), gone, [l for l in srv.srv.log if "push" in l])
            assert [p for p, _, _ in rcv.got].count("/gone") == 1, rcv.got


def test_the_vapid_key_in_keyd():
    """The same with `set keyd yes`: keyd holds the VAPID key and signs
    each token; the receiver verifies them with the same public key."""
    test_verification_state_change_and_restart(keyd=True)


def test_a_busy_push_service_is_asked_again_later():
    """429 (with Retry-After: 7, shorter than the first wait): the message
    waits in pushd's retry queue and is sent again 30 seconds later
    (push_retry.c), not at once and not lost; changes meanwhile join the
    wait (the newest message replaces the waiting one) instead of each
    costing the failing service an attempt."""
    with Receiver() as rcv:
        _, vpath = vapid_key_file(rcv.tmp)
        with push_server(rcv, vpath) as srv:
            c = jh.client(srv)
            ua = UserAgent()
            pid = subscribe(c, rcv, ua, "/busy")
            verify(c, rcv, ua, pid, 1, srv)    # it read the code, then 429
            first = time.monotonic()
            for _ in range(3):
                append(srv)
            time.sleep(3)
            assert len(rcv.got) == 1, [p for p, _, _ in rcv.got]
            _, _, body = got(rcv, 2, timeout=45, srv=srv)
            waited = time.monotonic() - first
            assert 27 <= waited <= 40, waited
            assert json.loads(ua.decrypt(body))["@type"] == "StateChange"
            time.sleep(1)
            assert [p for p, _, _ in rcv.got] == ["/busy", "/busy"], rcv.got


def test_pushes_resume_after_stored_restarts():
    """stored killed with SIGKILL: pushd's channel ends, pushd exits
    (crash-only) and cloisterd starts it again with a channel to the new
    stored once that is up; the next change is pushed."""
    with Receiver() as rcv:
        vkey, vpath = vapid_key_file(rcv.tmp)
        with push_server(rcv, vpath) as srv:
            c = jh.client(srv)
            ua = UserAgent()
            pid = subscribe(c, rcv, ua, "/p/phone2")
            verify(c, rcv, ua, pid, 1, srv)
            kill_and_push_again(srv, rcv, ua, vkey, "stored")
