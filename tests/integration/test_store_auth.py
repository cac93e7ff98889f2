"""docs/design.md rule 3 at the store: a channel serves only the user of a valid
ticket minted for that channel's service and instance; lmtpd's delivery
right reads nothing; one table says who may send what, and everything
else is refused "unexpected X from Y" — identity from the channel, never
from a payload."""
import os
import re
import struct
import time

from harness import POLICY_DIR
from store_util import (DELETED, ERR, F_FLAGS, SEEN, T, Store, b,
                        fetch_width, meta_block, memfd_message, s, u32, u64,
                        uidset)
from test_store_mail import append, body_of, flags, mbox_id

SECRET = b"bob-secret-payload-7f3a"


def setup_two_users(st):
    adm = st.admin()
    for u in ("alice", "bob"):
        adm.call("STORE_ADM_USER_CREATE", s(u))
    bob = st.connect("imapd")
    bob.hello(st.key, "bob")
    bob.call("STORE_MBOX_CREATE", s("bob-only") + u32(0))
    for i in range(3):
        append(bob, "INBOX", SECRET + b" %d" % i, subject=SECRET,
               text=SECRET, message_id=b"<bob%d@x>" % i)
    alice = st.connect("imapd")
    alice.hello(st.key, "alice")
    return adm, alice, bob


def bob_state(bob):
    inbox = mbox_id(bob, "INBOX")
    entries, _ = bob.call("STORE_FETCH", u64(inbox) + uidset((1, 0xffffffff)) +
                          u32(F_FLAGS) + u64(0), width=fetch_width(F_FLAGS))
    names = sorted(e[0] for e in bob.call("STORE_MBOX_LIST", u32(0))[0])
    return entries, names, bob.call("STORE_QUOTA_GET")


def test_alice_cannot_touch_bobs_data_in_any_operation():
    with Store() as st:
        adm, alice, bob = setup_two_users(st)
        before = bob_state(bob)
        binbox = mbox_id(bob, "INBOX")
        _, bblob = body_of(bob, binbox, 1)
        bemail = struct.unpack(">Q", bblob[:8])[0]
        thread = bob.call("STORE_FETCH", u64(binbox) + uidset((1, 1)) + u32(64) + u64(0),
                          width=fetch_width(64))[0][0][2]
        seen = []

        def attempt(name, payload=b"", fd=None, width=None):
            try:
                r = alice.call(name, payload, fd, width)
            except Exception as e:    # refusals are fine; leaks are not
                r = e
            seen.append(repr(r))
            return r

        # every mailbox id and UID bob has, through every operation
        for mid in range(1, 12):
            for what in (0x7ff,):
                attempt("STORE_FETCH", u64(mid) + uidset((1, 0xffffffff)) + u32(what) + u64(0),
                        width=1 + 3 + 2 + 1 + 1 + 1 + 1 + 3 + 1 + 8 + 2 + 1)
            for uid in (1, 2, 3):
                for name, req in (("STORE_BODY", u32(uid)),
                                  ("STORE_BODIES", u32(1) + u32(uid))):
                    r = attempt(name, u64(mid) + req)
                    if isinstance(r, tuple):
                        data = os.pread(r[1], 1000, 0)
                        os.close(r[1])
                        assert SECRET not in data
            attempt("STORE_MBOX_STATUS", u64(mid) + s(""))
            attempt("STORE_CHANGES", u64(mid) + u64(0) + u32(0x7ff),
                    width=1 + 3 + 2 + 1 + 1 + 1 + 1 + 3 + 1 + 8 + 2 + 1)
            attempt("STORE_SEARCH", u64(mid) + b(bytes([1])) + u32(0))
            attempt("STORE_FLAGS", u64(mid) + uidset((1, 0xffffffff)) + u32(3) +
                    u32(DELETED) + u32(0) + u64(0) + u32(1))
            attempt("STORE_EXPUNGE", u64(mid) + uidset())
            attempt("STORE_COPY", u64(mid) + uidset((1, 3)) + u64(1))
            attempt("STORE_MOVE", u64(mid) + uidset((1, 3)) + u64(1))
            attempt("STORE_WATCH", u64(mid) + u32(1))
        for name in ("bob-only", "INBOX"):
            attempt("STORE_MBOX_DELETE", s(name))
            attempt("STORE_MBOX_RENAME", s(name) + s("stolen"))
            attempt("STORE_MBOX_SET_USE", s(name) + u32(1))
        attempt("STORE_MBOX_LIST", u32(3))
        attempt("STORE_BLOB_GET", b(bblob))
        attempt("STORE_EMAIL_LOCATE", u64(bemail))
        attempt("STORE_EMAIL_LOCATE_MANY",
                u32(3) + u64(bemail) + u64(1) + u64(2))
        attempt("STORE_THREAD_GET", u64(thread))
        attempt("STORE_EMAIL_CHANGES", u64(0) + u32(0))
        attempt("STORE_QUOTA_GET")
        # operations that name a user: not alice's to send
        fd, size, mlen = memfd_message(b"x")
        for name, payload, f in (
                ("STORE_DELIVER", s("bob") + s("") + u64(size) + u32(mlen), fd),
                ("STORE_RCPT_CHECK", s("bob") + u64(1), None),
                ("STORE_ADM_USER_DELETE", s("bob"), None),
                ("STORE_ADM_MBOX_LIST", s("bob") + u32(0), None),
                ("STORE_ADM_QUOTA_SET", s("bob") + u64(1) + u64(1), None)):
            code, msg = alice.error(name, payload, f)
            assert code == ERR["UNEXPECTED"] and msg == "unexpected %s from imapd" % name.lower(), msg
        os.close(fd)
        # a second hello, even with a valid ticket for bob on this channel
        code, _ = alice.error("STORE_HELLO", b(__import__("store_util").ticket(
            st.key, "bob", "imapd", alice.instance)))
        assert code == ERR["UNEXPECTED"]

        assert not any(SECRET.decode() in x or "bob-only" in x for x in seen), \
            [x for x in seen if SECRET.decode() in x or "bob-only" in x][:3]
        assert bob_state(bob) == before
        # and what alice did, she did to her own mailbox
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("stolen"))


def test_forged_expired_and_other_instance_tickets_fail():
    with Store() as st:
        adm = st.admin()
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        c = st.connect("imapd")
        from store_util import ticket
        cases = {
            "forged": ticket(os.urandom(32), "alice", "imapd", c.instance),
            "expired": ticket(st.key, "alice", "imapd", c.instance,
                              expiry=int(time.time()) - 1),
            "other instance": ticket(st.key, "alice", "imapd", c.instance + 1),
            "other service": ticket(st.key, "alice", "jmapd", c.instance),
            "truncated": ticket(st.key, "alice", "imapd", c.instance)[:-1],
        }
        for why, t in cases.items():
            code, msg = c.error("STORE_HELLO", b(t))
            assert code == ERR["DENIED"], why
            # still unauthenticated: nothing but hello works
            code, msg = c.error("STORE_MBOX_LIST", u32(0))
            assert code == ERR["UNEXPECTED"] and \
                msg == "unexpected store_mbox_list from imapd", (why, msg)
        log = st.log_text()
        for reason in ("bad MAC", "expired", "another instance", "another service"):
            assert re.search(r"refused a ticket from imapd\[%d\]: .*%s" % (c.instance, reason),
                             log), reason
        # the right ticket works on the right channel
        assert c.hello(st.key, "alice")[0] == b"alice"


def test_the_delivery_right_cannot_read():
    with Store() as st:
        adm = st.admin()
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        alice = st.connect("imapd")
        alice.hello(st.key, "alice")
        append(alice, "INBOX", SECRET)
        lm = st.connect("lmtpd")
        reads = {
            "STORE_FETCH": u64(1) + uidset((1, 9)) + u32(0x7ff) + u64(0),
            "STORE_BODY": u64(1) + u32(1),
            "STORE_BODIES": u64(1) + u32(1) + u32(1),
            "STORE_SEARCH": u64(1) + b(bytes([1])) + u32(0),
            "STORE_MBOX_LIST": u32(3),
            "STORE_MBOX_STATUS": u64(0) + s("INBOX"),
            "STORE_CHANGES": u64(1) + u64(0) + u32(0),
            "STORE_BLOB_GET": b(b"\0" * 32),
            "STORE_THREAD_GET": u64(1),
            "STORE_EMAIL_LOCATE": u64(1),
            "STORE_EMAIL_LOCATE_MANY": u32(1) + u64(1),
            "STORE_THREAD_COUNTS": b"",
            "STORE_EMAIL_QUERY": b(bytes([1])) + u32(0) + u64(0) * 4 + u32(0),
            "STORE_KEYWORDS": b"",
            "STORE_QUOTA_GET": b"",
            "STORE_WATCH": u64(0) + u32(1),
            "STORE_HELLO": b(__import__("store_util").ticket(st.key, "alice", "lmtpd", lm.instance)),
            "STORE_ADM_USER_LIST": b"",
        }
        for name, payload in reads.items():
            code, msg = lm.error(name, payload)
            assert code == ERR["UNEXPECTED"], name
            assert msg == "unexpected %s from lmtpd" % name.lower(), msg
        # it can deliver, and learns a status only: no UID, no thread, no
        # content hash (which would tell it what else the user holds)
        fd, size, mlen = memfd_message(b"delivered")
        r = lm.call("STORE_DELIVER", s("alice") + s("") + u64(size) + u32(mlen), fd=fd)
        os.close(fd)
        assert r == [], r
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4] == 2


def allowed_by_policy(service):
    """The store ops a service's policy file lists (its store-op lines)."""
    ops = set()
    with open(os.path.join(POLICY_DIR, service + ".policy")) as f:
        for line in f:
            line = line.split("#", 1)[0]
            if line.startswith("store-op"):
                ops.update(w.upper() for w in line.split(":", 1)[0].split()[1:])
    return ops


def test_every_type_from_every_service_is_checked_against_the_table():
    with Store() as st:
        adm = st.admin()
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        types = dict(T)
        types.pop("OK")
        types.pop("ERROR")
        types.pop("PONG")
        extra = {"TYPE_77": 77, "CTL_KEY": 50, "CTL_PEER": 51, "AUTH_START": 101,
                 "TYPE_499": 499, "TYPE_65535": 65535}
        services = {
            "imapd": allowed_by_policy("imapd"),
            "jmapd": allowed_by_policy("jmapd"),
            "lmtpd": allowed_by_policy("lmtpd"),
            "admin": {n for n in T if n.startswith("STORE_ADM_")} | {"PING"},
            "snmpd": set(),         # a service without a store policy
        }
        assert "STORE_FETCH" in services["imapd"] and "STORE_DELIVER" in services["lmtpd"]
        assert "STORE_FETCH" not in services["lmtpd"]
        refused = 0
        for service, allowed in services.items():
            for name, value in list(types.items()) + list(extra.items()):
                # root's admin connection: the supervisor's flag, not the name
                ch = st.connect(service, flags=1 if service == "admin" else 0)
                if service in ("imapd", "jmapd") and name != "STORE_HELLO":
                    ch.hello(st.key, "alice")
                fd = None
                if name in ("STORE_APPEND", "STORE_DELIVER"):
                    fd, _, _ = memfd_message(b"x")
                recs = ch.raw(value, b"", fd)
                if fd is not None:
                    os.close(fd)
                type_, flags, data, rfd = recs[-1]
                lname = name.lower() if name in T or name.startswith(("CTL", "AUTH")) \
                    else "type %d" % value
                expect = "unexpected %s from %s" % (lname, service)
                refusal = type_ == 2 and expect.encode() in data
                if name in allowed and name != "STORE_NOTIFY":
                    assert not refusal, "%s refused from %s" % (name, service)
                else:
                    assert refusal, "%s from %s: %r" % (name, service, data)
                    refused += 1
                # the channel keeps serving
                assert ch.raw(T["PING"], b"alive")[-1][2] == b"alive" or service not in (
                    "imapd", "jmapd", "lmtpd", "admin")
                ch.close()
        assert refused > 100
        assert re.search(r"unexpected store_fetch from lmtpd\[\d+\]", st.log_text())
