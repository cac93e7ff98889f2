"""The delivery right (lmtpd) at the store, against a real stored: a
delivery learns a status and nothing else (no UID, thread or content hash:
an oracle for what a user already holds), keeps only the flags and keywords
a filter sets on arrival (\\Seen \\Flagged $Junk $NotJunk $Phishing) and the
store's own date; user+detail reaches a mailbox only after the
administrator opted it in, a special-use mailbox only when forced; the
opt-in column arrives in existing databases by a schema upgrade."""
import sqlite3
import time

from store_util import (ANSWERED, DELETED, DRAFT, ERR, F_FLAGS, F_IDATE,
                        FLAGGED, SEEN, Store, meta_block, memfd_message, s, u32,
                        u64)
from test_store_mail import fetch, mbox_id, user
from test_store_recent import alice_db

DETAIL = 1 << 13          # STORE_MBOX_DETAIL in LIST attributes
USE_JUNK = 1 << 2


def deliver(lm, rcpt, detail, body, **meta):
    import os
    fd, size, mlen = memfd_message(body, meta_block(**meta))
    try:
        return lm.call("STORE_DELIVER", s(rcpt) + s(detail) + u64(size) + u32(mlen),
                       fd=fd)
    finally:
        os.close(fd)


def messages(c, box):
    return c.call("STORE_MBOX_STATUS", u64(0) + s(box))[4]


def opt_in(adm, box, on=1, force=0, user="alice"):
    return adm.call("STORE_ADM_MBOX_DETAIL", s(user) + s(box) + u32(on) + u32(force))


def test_a_forged_delivery_keeps_only_the_allowed_flags_and_keywords():
    with Store() as st:
        alice = user(st, "alice")
        lm = st.connect("lmtpd")
        # a compromised lmtpd asks for everything: \Deleted (an expunge
        # away from silent removal), \Answered, \Draft, a keyword of its
        # own, and a date in 1970
        r = deliver(lm, "alice", "", b"Subject: forged\r\n\r\nx\r\n",
                    flags=SEEN | ANSWERED | FLAGGED | DELETED | DRAFT,
                    keywords=("$Junk", "Owned", "$Forwarded", "$notjunk", "$Phishing"),
                    internaldate=1, tzoff=120)
        assert r == [], r   # a status only: no UID, thread, modseq, hash
        inbox = mbox_id(alice, "INBOX")
        entries, _ = fetch(alice, inbox, F_FLAGS | F_IDATE)
        assert len(entries) == 1
        uid, fl, kw, _modseq, idate, tz = entries[0][:6]
        assert fl == SEEN | FLAGGED, fl
        names = alice.call("STORE_KEYWORDS")[1:]
        held = {n.decode().lower() for i, n in enumerate(names) if kw & (1 << i)}
        assert held == {"$junk", "$notjunk", "$phishing"}, (names, kw)
        # no slot was spent on the refused keywords
        assert {n.decode().lower() for n in names} == held, names
        assert abs(idate - time.time()) < 300 and tz == 0, (idate, tz)
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[6] == 0  # \Deleted
        # an APPEND by the user keeps what the user asked for
        import os
        fd, size, mlen = memfd_message(b"mine", meta_block(flags=DELETED | DRAFT,
                                                           keywords=("Owned",)))
        r = alice.call("STORE_APPEND", u64(0) + s("INBOX") + u64(size) + u32(mlen), fd=fd)
        os.close(fd)
        assert r[2] == 2   # the user's own append reports its UID
        entries, _ = fetch(alice, inbox, F_FLAGS, ((2, 2),))
        assert entries[0][1] == DELETED | DRAFT


def test_a_full_keyword_table_does_not_bounce_a_delivery():
    import os
    with Store() as st:
        alice = user(st, "alice")
        kws = tuple("k%d" % i for i in range(64))   # every slot the user has
        fd, size, mlen = memfd_message(b"mine", meta_block(keywords=kws))
        alice.call("STORE_APPEND", u64(0) + s("INBOX") + u64(size) + u32(mlen), fd=fd)
        os.close(fd)
        lm = st.connect("lmtpd")
        assert deliver(lm, "alice", "", b"spam", keywords=("$Junk",)) == []
        entries, _ = fetch(alice, mbox_id(alice, "INBOX"), F_FLAGS, ((2, 2),))
        assert len(entries) == 1 and entries[0][2] == 0, entries


def test_detail_goes_only_to_opted_in_mailboxes_and_special_use_needs_force():
    with Store() as st:
        alice = user(st, "alice")
        alice.call("STORE_MBOX_CREATE", s("lists") + u32(0))
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("Sent"))[1] & (1 << 3)  # \Sent
        adm = st.admin()
        lm = st.connect("lmtpd")
        # the default: +detail is INBOX, whatever mailbox it names
        for box in ("lists", "Sent", "INBOX", "nosuch"):
            assert deliver(lm, "alice", box, b"to " + box.encode()) == []
        assert messages(alice, "INBOX") == 4
        assert messages(alice, "lists") == 0 and messages(alice, "Sent") == 0
        # opted in: there
        assert opt_in(adm, "lists") == []
        deliver(lm, "alice", "lists", b"list mail")
        assert messages(alice, "lists") == 1
        listing = {e[0].decode(): e[2] for e in alice.call("STORE_MBOX_LIST", u32(0))[0]}
        assert listing["lists"] & DETAIL and not listing["INBOX"] & DETAIL, listing
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("lists"))[1] & DETAIL
        # a special-use mailbox refuses the opt-in unless forced
        code, msg = adm.error("STORE_ADM_MBOX_DETAIL", s("alice") + s("Sent") + u32(1) + u32(0))
        assert code == ERR["DENIED"] and "special-use" in msg, (code, msg)
        deliver(lm, "alice", "Sent", b"still INBOX")
        assert messages(alice, "Sent") == 0 and messages(alice, "INBOX") == 5
        assert opt_in(adm, "Sent", force=1) == []
        deliver(lm, "alice", "Sent", b"forced")
        assert messages(alice, "Sent") == 1
        assert opt_in(adm, "Sent", on=0) == []
        deliver(lm, "alice", "Sent", b"off again")
        assert messages(alice, "Sent") == 1 and messages(alice, "INBOX") == 6
        # a mailbox that gets a special use after its opt-in is out again
        alice.call("STORE_MBOX_SET_USE", s("lists") + u32(USE_JUNK))
        deliver(lm, "alice", "lists", b"now junk")
        assert messages(alice, "lists") == 1 and messages(alice, "INBOX") == 7
        # unknown mailbox or user; bad values
        code, _ = adm.error("STORE_ADM_MBOX_DETAIL", s("alice") + s("nosuch") + u32(1) + u32(0))
        assert code == ERR["NOTFOUND"]
        code, _ = adm.error("STORE_ADM_MBOX_DETAIL", s("bob") + s("lists") + u32(1) + u32(0))
        assert code == ERR["NOTFOUND"]
        code, _ = adm.error("STORE_ADM_MBOX_DETAIL", s("alice") + s("lists") + u32(2) + u32(0))
        assert code == ERR["MALFORMED"]
        # only the administrator may opt in: not the delivery right, not
        # the user's own session
        for ch, svc in ((lm, "lmtpd"), (alice, "imapd")):
            code, msg = ch.error("STORE_ADM_MBOX_DETAIL",
                                 s("alice") + s("lists") + u32(1) + u32(1))
            assert code == ERR["UNEXPECTED"], (svc, code, msg)
        adm.close()


def test_a_version_2_database_is_upgraded_with_no_mailbox_opted_in():
    with Store() as st:
        a = user(st, "alice")
        a.call("STORE_MBOX_CREATE", s("lists") + u32(0))
        a.close()
        st.stop()
        path = alice_db(st)
        db = sqlite3.connect(path)   # back to the shape of schema version 2
        db.executescript("ALTER TABLE mailboxes DROP COLUMN detail;"
                         "ALTER TABLE blob DROP COLUMN metalen;"
                         "DROP TABLE upload;"
                         "DROP TABLE objects;"
                         "DROP TABLE email_tomb;"
                         "DROP INDEX tomb_emailid;"
                         "ALTER TABLE tomb DROP COLUMN created_modseq;"
                         "DROP TABLE sieve; DROP TABLE seen;"
                         "DROP TABLE snooze;"
                         "PRAGMA user_version=2;")
        db.close()
        st.start()
        a = st.connect("imapd")
        a.hello(st.key, "alice")
        lm = st.connect("lmtpd")
        deliver(lm, "alice", "lists", b"before the opt-in")
        assert messages(a, "lists") == 0 and messages(a, "INBOX") == 1
        adm = st.admin()
        opt_in(adm, "lists")
        deliver(lm, "alice", "lists", b"after")
        assert messages(a, "lists") == 1
        assert "schema upgraded from version 2 to 3" in st.log_text()
        assert "schema upgraded from version 3 to 4" in st.log_text()
        assert "schema upgraded from version 4 to 5" in st.log_text()
        assert "schema upgraded from version 5 to 6" in st.log_text()
        assert "schema upgraded from version 6 to 7" in st.log_text()
        assert "schema upgraded from version 7 to 8" in st.log_text()
        assert "schema upgraded from version 8 to 9" in st.log_text()
        st.stop()
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == 9
        assert db.execute("SELECT count(*) FROM objects").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM upload").fetchone()[0] == 0
        assert db.execute("SELECT name, detail FROM mailboxes WHERE detail != 0"
                          ).fetchall() == [("lists", 1)]
        db.close()
