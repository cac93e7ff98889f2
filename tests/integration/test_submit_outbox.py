"""The outbox in the store (store/outbox.c, docs/submitd.md) against a real
stored: lmtpd (the delivery right) and a user session queue messages;
submitd claims the due ones with their file and reports results; a claim
whose channel closes is pending again; nobody else may claim, and a
channel may resolve only what it claimed."""
import os
import sqlite3
import time

from harness import POLICY_DIR, service_block, wait_for
from store_util import ERR, Store, b, new_user, s, u32, u64
from submit_util import outbox_add

HELLO = b"Subject: x\r\n\r\nhello\r\n"


def with_outbox(name, text):
    # lmtpd queues Sieve replies and redirects, jmapd EmailSubmission: their
    # policies grant the add
    if name in ("lmtpd", "jmapd") and "store_outbox_add" not in text:
        text += "\nstore-op store_outbox_add : Sieve vacation replies and redirects\n"
    return text


class OutboxStore(Store):
    """stored with a submitd service in its configuration."""

    def __init__(self, **kw):
        Store.__init__(self, policy_edit=with_outbox, **kw)
        with open(os.path.join(POLICY_DIR, "submitd.policy")) as f:
            text = f.read()
        with open(os.path.join(self.poldir, "submitd.policy"), "w") as f:
            f.write(text)
        with open(self.conf, "a") as f:
            f.write("\n" + service_block("submitd", "submit", self.binary,
                                         "submitd") + "\n")


def add(c, rcpts, body=HELLO, user="alice", mail_from="", send_at=0):
    return outbox_add(c, "STORE_OUTBOX_ADD", user, rcpts, body, mail_from, send_at)


def claim(c):
    """(id, attempts, size, from, rcpts, bytes) or (0, next_due)."""
    r = c.call("STORE_OUTBOX_CLAIM")
    if isinstance(r, tuple):
        fields, fd = r
        data = os.pread(fd, 1 << 20, 0)
        os.close(fd)
        n = fields[5]
        return (fields[0], fields[2], fields[3], fields[4],
                [x.decode() for x in fields[6:6 + n]], data)
    assert r[0] == 0, r
    return r[0], r[1]


def result(c, id_, outcome, retry_at=0, reply="250 ok", rcpt_replies=()):
    return c.call("STORE_OUTBOX_RESULT", u64(id_) + u32(outcome) + u64(retry_at) +
                  s(reply) + u32(len(rcpt_replies)) +
                  b"".join(s(r) for r in rcpt_replies))


def first_claimed(st, rcpts=("b@example.net",), body=HELLO):
    """alice's entries of body queued by lmtpd, one to each of rcpts, and a
    submitd channel that claimed the first of them: (channel, ids)."""
    new_user(st, "alice")
    lm = st.connect("lmtpd")
    ids = [add(lm, [r], body)[0] for r in rcpts]
    sub = st.connect("submitd")
    assert claim(sub)[0] == ids[0]
    return sub, ids


def rows(st, columns="id, user, state, attempts, reply"):
    db = sqlite3.connect(os.path.join(st.spool, "data", "s0", "registry.db"))
    try:
        return db.execute("SELECT %s FROM outbox ORDER BY id" % columns).fetchall()
    finally:
        db.close()


def test_lmtpd_queues_and_submitd_claims_sends_and_resolves():
    with OutboxStore() as st:
        # a redirect's sender: the user's own address (test_outbox_limits)
        new_user(st, "alice@example.org")
        lm = st.connect("lmtpd")
        body = b"From: alice@example.org\r\nSubject: away\r\n\r\nI am away.\r\n"
        (id1,) = add(lm, ["bob@example.net"], body, user="alice@example.org",
                     mail_from="alice@example.org")
        assert id1 > 0
        sub = st.connect("submitd")
        got = claim(sub)
        assert got == (id1, 0, len(body), b"alice@example.org",
                       ["bob@example.net"], body), got
        # claimed: nothing else is due
        assert claim(sub)[0] == 0
        result(sub, id1, 1, reply="250 2.0.0 queued as 1234")
        st.stop()
        r = rows(st)
        assert r == [(id1, "alice@example.org", 2, 1,
                      "250 2.0.0 queued as 1234")], r
        left = os.listdir(os.path.join(st.spool, "data", "s0", "outbox"))
        assert left == [], left     # the message file went with the send


def test_a_user_session_queues_as_itself_and_a_later_entry_waits():
    with OutboxStore() as st:
        alice = new_user(st, "alice", service="jmapd")
        new_user(st, "mallory")
        later = int(time.time()) + 3600
        # the user field is ignored on a session: the entry is alice's
        (id1,) = add(alice, ["x@example.net"], user="mallory", send_at=later)
        sub = st.connect("submitd")
        assert claim(sub) == (0, later)
        st.stop()
        assert rows(st)[0][:3] == (id1, "alice", 0)


def test_a_temporary_failure_retries_later_and_a_closed_channel_releases():
    with OutboxStore() as st:
        sub, (id1,) = first_claimed(st)
        soon = int(time.time()) + 2
        result(sub, id1, 2, retry_at=soon, reply="451 4.3.0 try later")
        assert claim(sub) == (0, soon)
        time.sleep(soon - time.time() + 1.1)
        got = claim(sub)
        assert got[0] == id1 and got[1] == 1, got     # one attempt before
        # submitd dies holding it: pending again for the next submitd
        sub.close()
        sub2 = st.connect("submitd")
        assert wait_claim(sub2) == id1
        result(sub2, id1, 3, reply="550 5.1.1 no such user")
        st.stop()
        assert rows(st) == [(id1, "alice", 3, 2, "550 5.1.1 no such user")]


def wait_claim(c, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = claim(c)
        if got[0]:
            return got[0]
        time.sleep(0.05)
    raise AssertionError("nothing to claim")


def test_only_submitd_claims_and_only_what_it_claimed_it_resolves():
    with OutboxStore() as st:
        alice = new_user(st, "alice")
        lm = st.connect("lmtpd")
        (id1,) = add(lm, ["b@example.net"])
        for who in (alice, lm, st.connect("imapd")):
            code, msg = who.error("STORE_OUTBOX_CLAIM")
            assert code == ERR["UNEXPECTED"], (code, msg)
        sub, other = st.connect("submitd"), st.connect("submitd")
        assert claim(sub)[0] == id1
        code, _ = other.error("STORE_OUTBOX_RESULT", u64(id1) + u32(1) + u64(0) + s("250") + u32(0))
        assert code == ERR["CONFLICT"], code
        # submitd cannot queue mail, imapd cannot either
        for who in (sub, st.connect("imapd")):
            fd = os.memfd_create("m")
            os.write(fd, b"x")
            code, _ = who.error("STORE_OUTBOX_ADD", s("alice") + s("") + u32(1) +
                                s("b@example.net") + u64(1) + u64(0) + b(b"") +
                                s(""), fd=fd)
            os.close(fd)
            assert code == ERR["UNEXPECTED"], code


def add_error(c, rcpts, mail_from="a@x", user="alice"):
    from store_util import StoreError
    try:
        add(c, rcpts, mail_from=mail_from, user=user)
    except StoreError as e:
        return e.code
    raise AssertionError("accepted %r from %r" % (rcpts, mail_from))


def test_envelope_strings_are_bounded_and_carry_no_smtp_syntax():
    with OutboxStore() as st:
        new_user(st, "alice")
        lm = st.connect("lmtpd")
        for rcpts, frm in ((["b@x\r\nRCPT TO:<evil@x>"], "a@x"), (["b@x"], "a b@x"),
                           (["<b@x>"], "a@x"), ([], "a@x"), (["b@x"] * 101, "a@x"),
                           ([""], "a@x"), (["b@x"], "a@x\r\nDATA")):
            assert add_error(lm, rcpts, frm) == ERR["MALFORMED"], (rcpts, frm)
        assert add_error(lm, ["b" * 321]) == ERR["MALFORMED"]
        assert add_error(lm, ["b@x"], user="nobody") == ERR["NOTFOUND"]
        assert add(lm, ["b@x"], mail_from="")[0] > 0   # null reverse-path
        st.stop()
        assert len(rows(st)) == 1


def test_a_stored_restart_makes_a_claimed_entry_pending_and_keeps_its_file():
    with OutboxStore() as st:
        body = b"Subject: survives\r\n\r\nstill here\r\n"
        sub, (id1,) = first_claimed(st, body=body)
        st.kill()            # no result reached the store
        assert rows(st)[0][2] == 1     # sending, as the crash left it
        st.start()
        sub = st.connect("submitd")
        got = claim(sub)
        assert got[0] == id1 and got[5] == body, got


def test_a_waiting_submitd_is_woken_by_an_entry_due_now():
    with OutboxStore() as st:
        new_user(st, "alice")
        lm = st.connect("lmtpd")
        sub = st.connect("submitd")
        assert claim(sub) == (0, 0)       # nothing at all: it waits
        (later,) = add(lm, ["b@example.net"], send_at=int(time.time()) + 3600)
        (now,) = add(lm, ["c@example.net"])
        n = sub.wait_notify(timeout=5)
        assert n[0] == 0, n               # mailbox 0: the outbox
        assert claim(sub)[0] == now


def commit(c, id_):
    return c.call("STORE_OUTBOX_COMMIT", u64(id_))


def test_a_committing_entry_whose_channel_closes_is_final_unknown_never_pending():
    with OutboxStore() as st:
        sub, (id1, id2) = first_claimed(st, ["b@example.net", "c@example.net"])
        assert claim(sub)[0] == id2
        # a first try of id1 deferred by its recipient, then a second one
        result(sub, id1, 2, reply="451 4.2.1 busy",
               rcpt_replies=("451 4.2.1 busy",))
        assert claim(sub)[0] == id1
        commit(sub, id1)                 # its final dot may be out
        other = st.connect("submitd")
        code, _ = other.error("STORE_OUTBOX_COMMIT", u64(id2))
        assert code == ERR["CONFLICT"]   # only the claiming channel marks
        sub.close()                      # submitd killed
        assert wait_for(lambda: "outbox: %d may or may not have been sent" % id1
                        in st.log_text(), 5), st.log_text()[-2000:]
        sub = st.connect("submitd")
        assert claim(sub)[0] == id2      # not past the mark: pending again
        assert claim(sub)[0] == 0        # id1 is never handed out again
        st.stop()
        r = rows(st)
        assert r[0][2] == 5 and "may or may not" in r[0][4], r   # unknown
        # the first try's reply to the recipient is not this one's
        assert bytes(rows(st, "id, rstatus")[0][1]) == b"", r
        assert not os.path.exists(os.path.join(st.spool, "data", "s0", "outbox",
                                               str(id1)))


def test_a_stored_restart_keeps_a_committing_entry_for_the_result_submitd_holds():
    with OutboxStore() as st:
        sub, (id1, id2) = first_claimed(st, ["b@example.net", "c@example.net"])
        commit(sub, id1)
        st.kill()                        # the relay said 250; stored is gone
        assert rows(st)[0][2] == 6       # committing, durably
        st.start()
        sub = st.connect("submitd")
        code, _ = sub.error("STORE_OUTBOX_RESULT", u64(id2) + u32(1) + u64(0) +
                            s("250 ok") + u32(0))
        assert code == ERR["CONFLICT"]   # pending, not committed: not held
        result(sub, id1, 1, reply="250 2.0.0 held over the restart",
               rcpt_replies=("250 2.1.5 b ok",))
        assert claim(sub)[0] == id2      # and id1 is not sent again
        assert claim(sub)[0] == 0
        st.stop()
        r = rows(st)
        assert r[0][2] == 2 and r[0][4] == "250 2.0.0 held over the restart", r
        # the held result keeps its per-recipient reply
        r = rows(st, "id, rstatus")
        assert bytes(r[0][1]) == b"-250 2.1.5 b ok\0", r


def test_a_committing_entry_no_one_reports_is_unknown_at_the_first_claim():
    with OutboxStore() as st:
        sub, (id1,) = first_claimed(st)
        commit(sub, id1)
        st.kill()                        # submitd and stored gone together
        st.start()
        sub = st.connect("submitd")
        assert claim(sub)[0] == 0        # not handed out again
        assert "outbox: %d may or may not have been sent" % id1 in st.log_text()
        # a result submitd held arrives late: the truth replaces "unknown"
        result(sub, id1, 1, reply="250 late")
        st.stop()
        assert rows(st)[0][2:] == (2, 2, "250 late"), rows(st)


def test_a_mark_whose_answer_was_lost_is_made_pending_by_the_held_retry():
    with OutboxStore() as st:
        sub, (id1,) = first_claimed(st)
        commit(sub, id1)     # written; stored dies before submitd hears it
        st.kill()
        st.start()
        sub = st.connect("submitd")
        # submitd never wrote the dot: its held result is "retry now"
        result(sub, id1, 2, retry_at=int(time.time()), reply="not marked")
        got = claim(sub)
        assert got[0] == id1, got      # sent once after all, not unknown
