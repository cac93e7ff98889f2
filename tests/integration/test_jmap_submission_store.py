"""The store's side of JMAP EmailSubmission (store/outbox_jmap.c) against a
real stored, as a compromised jmapd would use it: a user session lists,
cancels and hides only its own user's entries queued with meta; the
delivery right cannot queue meta; a cancel never wins over a claim
(cannotUnsend), and a canceled entry is never claimed."""
import os
import time

from store_util import ERR, b, new_user, s, u32, u64
from test_submit_outbox import OutboxStore, claim

META = b'{"i":"I0","e":"E1","t":"T1","p":null}'


def submit(c, meta=META, send_at=0, user="", msgid=""):
    body = b"From: a@example.net\r\n\r\nhi\r\n"
    fd = os.memfd_create("m")
    os.write(fd, body)
    try:
        return c.call("STORE_OUTBOX_ADD", s(user) + s("a@example.net") + u32(1) +
                      s("b@example.org") + u64(len(body)) + u64(send_at) + b(meta) +
                      s(msgid), fd=fd)[0]
    finally:
        os.close(fd)


def listing(c, since=0):
    """(state, [(id, state, hidden, meta)])"""
    f = c.call("STORE_OUTBOX_LIST", u64(since) + u64(0))
    state, more, n = f[0], f[1], f[2]
    assert more == 0
    rows = [f[3 + 15 * i: 3 + 15 * (i + 1)] for i in range(n)]
    return state, [(r[0], r[1], r[6], r[10]) for r in rows]


def change(c, id_, op):
    return c.call("STORE_OUTBOX_CHANGE", u64(id_) + u32(op))[0]


def test_a_session_reaches_only_its_own_submissions():
    with OutboxStore() as st:
        new_user(st, "alice")
        new_user(st, "bob")
        a = st.connect("jmapd")
        a.hello(st.key, "alice", service="jmapd")
        bob = st.connect("jmapd")
        bob.hello(st.key, "bob", service="jmapd")
        far = 2 ** 40
        id1 = submit(a, send_at=far)
        submit(a, meta=b"", send_at=far)        # no meta: not a submission
        state, rows = listing(a)
        assert [(r[0], r[3]) for r in rows] == [(id1, META)], rows
        assert listing(bob) == (0, [])
        for op in (1, 2):
            code, _ = bob.error("STORE_OUTBOX_CHANGE", u64(id1) + u32(op))
            assert code == ERR["NOTFOUND"], code
        # an unbound channel has none of it
        code, _ = st.connect("jmapd").error("STORE_OUTBOX_LIST", u64(0) + u64(0))
        assert code == ERR["UNEXPECTED"], code
        # lmtpd's delivery right queues no submission
        lm = st.connect("lmtpd")
        code, _ = lm.error("STORE_OUTBOX_ADD", s("alice") + s("") + u32(1) +
                           s("b@example.org") + u64(1) + u64(0) + b(META) + s(""))
        assert code in (ERR["MALFORMED"], ERR["UNEXPECTED"]), code
        # hide: gone from the listing, told by changes since
        s2 = change(a, id1, 2)
        assert s2 > state
        assert listing(a)[1] == []
        _, rows = listing(a, since=state)
        assert rows == [(id1, 0, 1, META)], rows
        code, _ = a.error("STORE_OUTBOX_CHANGE", u64(id1) + u32(2))
        assert code == ERR["NOTFOUND"], code


def test_cancel_never_wins_over_a_claim():
    with OutboxStore() as st:
        new_user(st, "alice")
        a = st.connect("jmapd")
        a.hello(st.key, "alice", service="jmapd")
        sub = st.connect("submitd")
        id1 = submit(a)                           # due now
        assert claim(sub)[0] == id1               # submitd holds it
        code, _ = a.error("STORE_OUTBOX_CHANGE", u64(id1) + u32(1))
        assert code == ERR["CONFLICT"], code
        sub.call("STORE_OUTBOX_RESULT", u64(id1) + u32(1) + u64(0) + s("250 ok") + u32(0))
        _, rows = listing(a)
        assert rows[0][:2] == (id1, 2), rows      # sent
        code, _ = a.error("STORE_OUTBOX_CHANGE", u64(id1) + u32(1))
        assert code == ERR["CONFLICT"], code
        # canceled while pending, due now: never claimed
        id2 = submit(a)
        change(a, id2, 1)
        assert listing(a)[1][1][:2] == (id2, 4)
        assert claim(sub)[0] == 0


def test_the_listing_pages_through_every_entry():
    with OutboxStore() as st:
        new_user(st, "alice")
        a = st.connect("jmapd")
        a.hello(st.key, "alice", service="jmapd")
        meta = b'{"i":"I0","e":"E1","t":"T1","p":{"X":"' + b"x" * 980 + b'"}}'
        ids = [submit(a, meta=meta, send_at=2 ** 40) for _ in range(300)]
        seen, after, pages = [], 0, 0
        for _ in range(100):
            f = a.call("STORE_OUTBOX_LIST", u64(0) + u64(after))
            more, n = f[1], f[2]
            got = [f[3 + 15 * i] for i in range(n)]
            assert all(f[3 + 15 * i + 10] == meta for i in range(n))
            seen += got
            pages += 1
            if not more:
                break
            after = got[-1]
        assert seen == ids, (len(seen), len(ids))
        assert pages > 3, pages


def test_finished_submissions_expire():
    # submission-keep 2: finished more than two seconds ago is destroyed
    with OutboxStore(options="set submission-keep 2") as st:
        new_user(st, "alice")
        a = st.connect("jmapd")
        a.hello(st.key, "alice", service="jmapd")
        sub = st.connect("submitd")
        id1 = submit(a)
        assert claim(sub)[0] == id1
        sub.call("STORE_OUTBOX_RESULT", u64(id1) + u32(1) + u64(0) + s("250 ok") + u32(0))
        id2 = submit(a, send_at=2 ** 40)
        change(a, id2, 1)                        # canceled: finished too
        id3 = submit(a, send_at=2 ** 40)         # pending: never expires
        state, rows = listing(a)
        assert [r[0] for r in rows] == [id1, id2, id3], rows
        time.sleep(3.2)
        id4 = submit(a, send_at=2 ** 40)         # a new one prunes
        _, rows = listing(a)
        assert [r[0] for r in rows] == [id3, id4], rows
        _, rows = listing(a, since=state)        # /changes: destroyed
        gone = {r[0]: r[2] for r in rows}
        assert gone[id1] == 1 and gone[id2] == 1 and gone[id4] == 0, rows


def submit_to(c, rcpts, meta=META, send_at=0, msgid=""):
    body = b"From: a@example.net\r\n\r\nhi\r\n"
    fd = os.memfd_create("m")
    os.write(fd, body)
    try:
        return c.call("STORE_OUTBOX_ADD", s("") + s("a@example.net") +
                      u32(len(rcpts)) + b"".join(s(r) for r in rcpts) +
                      u64(len(body)) + u64(send_at) + b(meta) + s(msgid),
                      fd=fd)[0]
    finally:
        os.close(fd)


def test_each_recipient_keeps_its_own_bounded_reply():
    """submitd's per-recipient replies: one per recipient or none, at most
    160 bytes, kept printable; a 5xx is that recipient's "no"; the
    largest rows still page within a reply."""
    with OutboxStore() as st:
        new_user(st, "alice")
        a = st.connect("jmapd")
        a.hello(st.key, "alice", service="jmapd")
        sub = st.connect("submitd")
        id1 = submit_to(a, ["b@example.org", "c@example.org"])
        assert claim(sub)[0] == id1
        head = u64(id1) + u32(1) + u64(0) + s("250 ok")
        # not one per recipient, or one too long: refused, still claimed
        for bad in (u32(1) + s(""), u32(3) + s("") * 3,
                    u32(2) + s("") + s("5" * 161)):
            code, _ = sub.error("STORE_OUTBOX_RESULT", head + bad)
            assert code == ERR["MALFORMED"], code
        sub.call("STORE_OUTBOX_RESULT", head + u32(2) +
                 s("550 5.1.1 \x1b[31mno\x07") + s(""))
        f = a.call("STORE_OUTBOX_LIST", u64(0) + u64(0))
        assert f[2] == 1
        rstatus = f[3 + 11]
        assert rstatus == b"n550 5.1.1 ?[31mno?\x00-\x00", rstatus
        assert f[3 + 12] == b""                     # no DSN yet
        # the largest rows: 100 recipients of 320 bytes, 160-byte replies,
        # 1024 bytes of meta; every page fits in one reply
        big = [("r%03d@" % i) + "x" * 315 for i in range(100)]
        meta = b'{"i":"I0","e":"E1","t":"T1","p":{"X":"' + b"x" * 980 + b'"}}'
        ids = []
        for _ in range(4):
            i = submit_to(a, big, meta=meta)
            assert claim(sub)[0] == i
            sub.call("STORE_OUTBOX_RESULT", u64(i) + u32(3) + u64(0) +
                     s("5" * 512) + u32(100) + s("5" * 160) * 100)
            ids.append(i)
        seen, after, pages = [], 0, 0
        for _ in range(10):
            f = a.call("STORE_OUTBOX_LIST", u64(0) + u64(after))
            got = [f[3 + 15 * k] for k in range(f[2])]
            assert all(len(f[3 + 15 * k + 11]) == 100 * 162
                       for k in range(f[2]) if got[k] != id1)
            seen += got
            pages += 1
            if not f[1]:
                break
            after = got[-1]
        assert seen == [id1] + ids and pages >= 3, (seen, pages)


def report(c, user, id_, digest, rcpts=()):
    return c.call("STORE_OUTBOX_REPORT", s(user) + u32(1) + u64(id_) + s("") + b(digest) +
                  u32(len(rcpts)) + b"".join(s(a) + u32(act) for a, act in rcpts))


def test_a_report_links_only_to_its_users_submission_and_a_message_they_hold():
    """STORE_OUTBOX_REPORT as a compromised lmtpd would send it: nothing
    links to another user's submission, to an entry that is no
    submission, or with a message the user does not hold; the reply says
    none of it; at most 16 reports a submission."""
    import hashlib
    from store_util import append_to
    with OutboxStore() as st:
        a = new_user(st, "alice", service="jmapd")
        bob = new_user(st, "bob", service="jmapd")
        lm = st.connect("lmtpd")
        id1 = submit_to(a, ["B@Example.org", "c@example.org"], send_at=2 ** 40)
        plain = submit_to(a, ["b@example.org"], meta=b"", send_at=2 ** 40)
        mine, theirs = b"Subject: dsn 0\r\n\r\nx\r\n", b"Subject: bob's\r\n\r\ny\r\n"
        append_to(a, mine)
        append_to(bob, theirs)
        h = hashlib.sha256(mine).digest()

        def status():
            f = a.call("STORE_OUTBOX_LIST", u64(0) + u64(0))
            row = f[3:3 + 15]
            assert row[0] == id1, f
            return row[11], row[12]
        before = status()
        assert report(lm, "bob", id1, hashlib.sha256(theirs).digest(),
                      [("b@example.org", 3)]) == []
        assert report(lm, "alice", id1, hashlib.sha256(b"not held").digest(),
                      [("b@example.org", 3)]) == []
        assert report(lm, "alice", plain, h, [("b@example.org", 3)]) == []
        assert status() == before, status()
        # a user session has no such right
        code, _ = a.error("STORE_OUTBOX_REPORT", s("alice") + u32(1) + u64(id1) + s("") +
                          b(h) + u32(0))
        assert code == ERR["UNEXPECTED"], code
        code, _ = lm.error("STORE_OUTBOX_REPORT", s("alice") + u32(1) + u64(id1) + s("") +
                           b(h) + u32(101) + (s("x@y") + u32(1)) * 101)
        assert code == ERR["MALFORMED"], code
        # the user's own, with a message they hold: linked
        assert report(lm, "alice", id1, h, [("b@example.org", 1),
                                            ("nobody@example.org", 3)]) == []
        rstatus, dsn = status()
        assert dsn == h and rstatus == b"n\x00-\x00", (rstatus, dsn)
        # the same report again changes nothing; 16 reports at most
        assert report(lm, "alice", id1, h) == [] and status()[1] == h
        for i in range(1, 20):
            m = b"Subject: dsn %d\r\n\r\nx\r\n" % i
            append_to(a, m)
            report(lm, "alice", id1, hashlib.sha256(m).digest(),
                   [("c@example.org", 2)])
        rstatus, dsn = status()
        assert len(dsn) == 16 * 32 and dsn[:32] == h, len(dsn)
        assert rstatus == b"n\x00q\x00", rstatus


def test_an_mdn_links_by_message_id_to_its_users_latest_submission_only():
    import hashlib
    from store_util import append_to
    with OutboxStore() as st:
        a = new_user(st, "alice", service="jmapd")
        bob = new_user(st, "bob", service="jmapd")
        lm = st.connect("lmtpd")
        older = submit_to(a, ["b@example.org", "c@example.org"], send_at=2 ** 40,
                          msgid="m1@example.net")
        id1 = submit_to(a, ["b@example.org", "c@example.org"], send_at=2 ** 40,
                        msgid="m1@example.net")
        submit_to(bob, ["b@example.org"], send_at=2 ** 40, msgid="m2@example.net")
        mdn = b"Subject: read\r\n\r\nx\r\n"
        append_to(a, mdn)
        append_to(bob, mdn)
        h = hashlib.sha256(mdn).digest()

        def mdn_report(c, user, msgid, rcpts):
            return c.call("STORE_OUTBOX_REPORT", s(user) + u32(2) + u64(0) +
                          s(msgid) + b(h) + u32(len(rcpts)) +
                          b"".join(s(x) + u32(act) for x, act in rcpts))

        def rows(c):
            f = c.call("STORE_OUTBOX_LIST", u64(0) + u64(0))
            return {f[3 + 15 * k]: (f[3 + 15 * k + 13], f[3 + 15 * k + 14])
                    for k in range(f[2])}
        # bob's report naming alice's Message-ID, and an unknown one: nothing
        assert mdn_report(lm, "bob", "m1@example.net", [("c@example.org", 6)]) == []
        assert mdn_report(lm, "alice", "m2@example.net", [("c@example.org", 6)]) == []
        assert all(v == (b"", b"") for v in rows(a).values()), rows(a)
        assert mdn_report(lm, "alice", "m1@example.net", [("C@example.org", 6)]) == []
        got = rows(a)
        assert got[id1] == (h, b"-y") and got[older] == (b"", b""), got
        # another disposition links the report, displays nothing
        assert mdn_report(lm, "alice", "m1@example.net", [("b@example.org", 7)]) == []
        assert rows(a)[id1] == (h, b"-y"), rows(a)
        code, _ = lm.error("STORE_OUTBOX_REPORT", s("alice") + u32(3) + u64(0) +
                           s("m1@example.net") + b(h) + u32(0))
        assert code == ERR["MALFORMED"], code
