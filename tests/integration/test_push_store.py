"""The push right (store/push_sub.c), cloister-pushd's whole view of the
store, over real store channels: it reads and replaces one thing, a
user's push subscription document (what jmapd's PushSubscription/set
keeps), for any user of the shard without a ticket; it hears every user's
state moves (name, state, mail or objects) and nothing else; it reads no
mail and no other object, and no other service may use it."""
import json
import os

from store_util import (ERR, Store, T, append_to, b, decode, new_user,
                        recv_record, s, u32, u64)

KEY = "jmap.pushsub"
PUSH_OPS = ("store-op ping store_push_watch store_push_get store_push_put"
            " : the push right\n")


def pushd_policy(lmtpd_text):
    """lmtpd's policy renamed pushd, its store-op lines the push right's
    alone: stored reads only the service name and the store-op lines."""
    lines = [l for l in lmtpd_text.splitlines(True)
             if not l.startswith("store-op")]
    return "".join(lines).replace("service lmtpd", "service pushd") + PUSH_OPS


class PushStore(Store):
    """stored with a pushd service whose policy grants the push right."""

    def __init__(self):
        super().__init__()
        with open(os.path.join(self.poldir, "lmtpd.policy")) as f:
            text = pushd_policy(f.read())
        with open(os.path.join(self.poldir, "pushd.policy"), "w") as f:
            f.write(text)
        with open(self.conf, "a") as f:
            f.write("\nservice pushd {\n  role connection\n  binary %s\n"
                    "  policy pushd.policy\n  listen l unix %s/p.sock plain"
                    "\n}\n" % (self.binary, self.tmp))


def event(chan, timeout=5):
    type_, rid, _flags, payload, _fd = recv_record(chan.sock, timeout)
    assert type_ == T["STORE_PUSH_EVENT"] and rid == 0, (type_, rid)
    user, state, kind = decode(payload)
    return user.decode(), state, kind


def test_reads_and_replaces_only_the_subscriptions():
    with PushStore() as st:
        alice = new_user(st, "alice", service="jmapd")
        new_user(st, "bob", service="jmapd").close()
        alice.call("STORE_OBJ_SET", s("jmap.identity") + u64(0) + b(b"{}"))
        p = st.connect("pushd")
        assert p.call("STORE_PUSH_GET", s("alice")) == [0, b""]
        doc = json.dumps({"P1": {"url": "https://push.example/1"}}).encode()
        m1, = alice.call("STORE_OBJ_SET", s(KEY) + u64(0) + b(doc))
        assert p.call("STORE_PUSH_GET", s("alice")) == [m1, doc]
        assert p.call("STORE_PUSH_GET", s("bob")) == [0, b""]
        # compare-and-set like OBJ_SET: a stale version is CONFLICT
        code, _ = p.error("STORE_PUSH_PUT", s("alice") + u64(m1 - 1) + b(b"{}"))
        assert code == ERR["CONFLICT"], code
        m2, = p.call("STORE_PUSH_PUT", s("alice") + u64(m1) + b(b"{}"))
        assert alice.call("STORE_OBJ_GET", s(KEY)) == [m2, b"{}"]
        code, _ = p.error("STORE_PUSH_GET", s("nobody"))
        assert code == ERR["NOTFOUND"], code
        # nothing else: no mail, no other object, no ticket to bind
        for name, payload in (
                ("STORE_MBOX_LIST", u32(0)),
                ("STORE_OBJ_GET", s("jmap.identity")),
                ("STORE_RCPT_CHECK", s("alice") + u64(1)),
                ("STORE_HELLO", b(b"x" * 64))):
            code, msg = p.error(name, payload)
            assert code == ERR["UNEXPECTED"], (name, code, msg)
        # and no other service has the push right
        for svc in ("imapd", "jmapd", "lmtpd"):
            c = st.connect(svc)
            code, _ = c.error("STORE_PUSH_GET", s("alice"))
            assert code == ERR["UNEXPECTED"], (svc, code)
            c.close()
        # a bound channel cannot take it either
        code, _ = alice.error("STORE_PUSH_WATCH", u32(1))
        assert code == ERR["UNEXPECTED"], code


def test_hears_every_users_state_moves():
    with PushStore() as st:
        alice = new_user(st, "alice")
        bob = new_user(st, "bob", service="jmapd")
        p = st.connect("pushd")
        p.call("STORE_PUSH_WATCH", u32(1))
        r = append_to(alice, b"Subject: hi\r\n\r\nhello\r\n")
        user, state, kind = event(p)
        assert (user, kind) == ("alice", 1), (user, kind)
        assert state == alice.call("STORE_STATE")[0], state
        bob.call("STORE_OBJ_SET", s("jmap.identity") + u64(0) + b(b"{}"))
        user, state, kind = event(p)
        assert (user, kind) == ("bob", 2), (user, kind)
        # the subscriptions' own kind; a user's watchers (JMAP push, IDLE)
        # hear nothing of it: it is no JMAP type's change
        bob.call("STORE_WATCH", u64(0) + u32(1))
        other = st.connect("jmapd")
        other.hello(st.key, "bob")
        other.call("STORE_OBJ_SET", s(KEY) + u64(0) + b(b"{}"))
        user, state, kind = event(p)
        assert (user, kind) == ("bob", 4), (user, kind)
        try:
            n = bob.wait_notify(timeout=1)
        except (TimeoutError, OSError):
            n = None
        assert n is None, n
        assert r, r
        # off: nothing more arrives
        p.call("STORE_PUSH_WATCH", u32(0))
        append_to(alice, b"Subject: again\r\n\r\nx\r\n")
        try:
            type_ = recv_record(p.sock, 1)[0]
        except (TimeoutError, OSError):
            type_ = None
        assert type_ is None, type_
