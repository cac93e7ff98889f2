"""IMAP4rev1 \\Recent in the store (STORE_RECENT_CLAIM): a claim hands the
UIDs no session has seen to exactly one caller, a look hands them out
without taking them, STATUS counts what is unclaimed; and a user database
of schema version 1 (before first_recent) is upgraded when opened."""
import sqlite3

from store_util import Store, u32, u64, s
from test_store_mail import append, mbox_id, user


def alice_db(st):
    """alice's database (the shard's registry is a .db file too)."""
    dbs = [p for p in st.user_dbs() if "registry" not in p]
    assert len(dbs) == 1, st.user_dbs()
    return dbs[0]


def claim(c, mbox, take=True):
    return tuple(c.call("STORE_RECENT_CLAIM", u64(mbox) + u32(1 if take else 0)))


def status_recent(c, name):
    return c.call("STORE_MBOX_STATUS", u64(0) + s(name))[7]


def test_claims_hand_each_uid_to_one_caller():
    with Store() as st:
        a = user(st, "alice")
        b = st.connect("imapd")
        b.hello(st.key, "alice")
        inbox = mbox_id(a, "INBOX")
        assert claim(a, inbox)[0] > claim(a, inbox)[1]   # empty: nothing
        append(a, "INBOX", b"one")
        append(a, "INBOX", b"two")
        assert status_recent(a, "INBOX") == 2
        assert claim(b, inbox, take=False) == (1, 2)    # EXAMINE looks
        assert claim(a, inbox) == (1, 2)                # SELECT takes
        lo, hi = claim(b, inbox)
        assert lo > hi, (lo, hi)                        # nothing left
        assert status_recent(a, "INBOX") == 0
        append(b, "INBOX", b"three")
        assert status_recent(a, "INBOX") == 1
        assert claim(b, inbox) == (3, 3)
        # claim is 0 or 1; the mailbox must exist
        a.error("STORE_RECENT_CLAIM", u64(inbox) + u32(2))
        a.error("STORE_RECENT_CLAIM", u64(9999) + u32(1))


def test_lmtpd_may_not_claim():
    with Store() as st:
        user(st, "alice").close()
        lm = st.connect("lmtpd")
        code, msg = lm.error("STORE_RECENT_CLAIM", u64(1) + u32(1))
        assert msg == "unexpected store_recent_claim from lmtpd", msg


def test_a_version_1_database_is_upgraded_at_open():
    with Store() as st:
        a = user(st, "alice")
        append(a, "INBOX", b"old mail")
        a.close()
        st.stop()
        path = alice_db(st)
        db = sqlite3.connect(path)
        db.execute("ALTER TABLE mailboxes DROP COLUMN first_recent")
        db.execute("ALTER TABLE mailboxes DROP COLUMN detail")   # from version 3
        db.execute("ALTER TABLE blob DROP COLUMN metalen")
        db.execute("DROP TABLE upload")                         # version 5
        db.execute("DROP TABLE objects")                        # version 6
        db.execute("DROP TABLE email_tomb")                     # version 7
        db.execute("DROP INDEX tomb_emailid")
        db.execute("ALTER TABLE tomb DROP COLUMN created_modseq")
        db.execute("DROP TABLE sieve")                          # version 8
        db.execute("DROP TABLE seen")
        db.execute("DROP TABLE snooze")                         # version 9
        db.execute("PRAGMA user_version=1")
        db.commit()
        db.close()
        st.start()
        a = st.connect("imapd")
        a.hello(st.key, "alice")
        inbox = mbox_id(a, "INBOX")
        # what was there before the upgrade is not news to anyone
        assert status_recent(a, "INBOX") == 0
        lo, hi = claim(a, inbox)
        assert lo > hi, (lo, hi)
        append(a, "INBOX", b"new mail")
        assert claim(a, inbox) == (2, 2)
        assert "schema upgraded from version 1 to 2" in st.log_text()
        assert "schema upgraded from version 2 to 3" in st.log_text()
        assert "schema upgraded from version 3 to 4" in st.log_text()
        assert "schema upgraded from version 5 to 6" in st.log_text()
        assert "schema upgraded from version 6 to 7" in st.log_text()
        assert "schema upgraded from version 7 to 8" in st.log_text()
        assert "schema upgraded from version 8 to 9" in st.log_text()
        st.stop()
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == 9
        db.close()


def test_a_newer_database_is_refused():
    with Store() as st:
        user(st, "alice").close()
        st.stop()
        path = alice_db(st)
        db = sqlite3.connect(path)
        db.execute("PRAGMA user_version=99")
        db.commit()
        db.close()
        st.start()
        c = st.connect("imapd")
        try:
            c.hello(st.key, "alice")
            refused = False
        except Exception:
            refused = True
        assert refused or c.error("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[0] != 0
        assert "schema version 99, this stored knows 9" in st.log_text()
        # refused again, and the store lives on (the user is let go once)
        c2 = st.connect("imapd")
        try:
            c2.hello(st.key, "alice")
        except Exception:
            pass
        assert st.proc.poll() is None, st.log_text()[-2000:]


def test_a_claim_during_a_freeze_takes_nothing_and_does_not_wait():
    """A SELECT must not wait for a backup: during a freeze a claim only
    looks, and the messages stay recent for a session after the thaw."""
    with Store() as st:
        a = user(st, "alice")
        inbox = mbox_id(a, "INBOX")
        append(a, "INBOX", b"one")
        adm = st.admin()
        assert adm.call("STORE_ADM_FREEZE", u32(30)) == []
        assert claim(a, inbox) == (1, 1)      # answered, not held
        assert status_recent(a, "INBOX") == 1
        assert adm.call("STORE_ADM_THAW") == [0]
        assert claim(a, inbox) == (1, 1)      # now taken
        lo, hi = claim(a, inbox)
        assert lo > hi, (lo, hi)
