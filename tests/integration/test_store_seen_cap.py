"""The cap on a user's seen records (store/seen.c, docs/store-protocol.md
"Sieve scripts, seen records, ..."), against a real stored: the number of
records is kept in meta ('seen_count', counted once for a database that
has none) instead of counted per record, and the cap still holds exactly:

- a database from before the count (no meta row), filled to two records
  under the cap plus some expired ones: the next checks prune the expired
  ones, count the rest once, and the table reaches the cap exactly; past
  it each new record drops the one nearest its expiry;
- the count in meta is the number of rows throughout, also after a record
  that replaced an older row of the same key."""
import hashlib
import os
import re
import sqlite3
import time

from test_store_recent import alice_db
from test_store_mail import user
from test_store_sieve import seen, sieve_store

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def seen_max():
    """SEEN_MAX of store/seen.c (the cap is the code's, not a copy)."""
    with open(os.path.join(TOP, "store", "seen.c")) as f:
        return int(re.search(r"#define SEEN_MAX (\d+)", f.read()).group(1))


def key(what):
    return hashlib.sha256(what).digest()


def table(st):
    """(rows, meta's count or None, the keys) of alice's seen table."""
    db = sqlite3.connect(alice_db(st))
    try:
        rows = db.execute("SELECT count(*) FROM seen").fetchone()[0]
        m = db.execute("SELECT v FROM meta WHERE k='seen_count'").fetchone()
        keys = set(bytes(k) for (k,) in db.execute("SELECT key FROM seen"))
        return rows, (m[0] if m else None), keys
    finally:
        db.close()


def test_the_cap_holds_exactly_and_the_nearest_to_expiry_go_first():
    cap = seen_max()
    with sieve_store() as st:
        user(st, "alice")
        lm = st.connect("lmtpd")
        assert seen(lm, "alice", 2, b"first", 3600, 1) == 0
        lm.close()
        st.stop()
        # as a database from before the count: no meta row; live records
        # up to two under the cap (the nearest to expiry: "live-0"), one
        # ("old") recorded long ago that lives on, and ten expired ones
        now = int(time.time())
        db = sqlite3.connect(alice_db(st))
        db.execute("DELETE FROM meta WHERE k='seen_count'")
        db.executemany("INSERT INTO seen VALUES(?, ?, ?, ?)",
                       [(2, key(b"live-%d" % i), now, now + 1000 + i)
                        for i in range(cap - 4)] +
                       [(2, key(b"old"), now - 200000, now + 200000)] +
                       [(1, key(b"expired-%d" % i), now - 100, now - 50)
                        for i in range(10)])
        db.commit()
        db.close()
        assert table(st)[:2] == (cap + 8, None)
        st.start()
        lm = st.connect("lmtpd")
        # the check prunes the expired ten; two records reach the cap
        assert seen(lm, "alice", 2, b"new-1", 3600, 1) == 0
        assert seen(lm, "alice", 2, b"new-2", 3600, 1) == 0
        # "old" asked within a shorter window than its age: not seen, and
        # recorded again in its own row (no record more)
        assert seen(lm, "alice", 2, b"old", 100000, 1) == 0
        # over the cap: each drops the one nearest its expiry
        assert seen(lm, "alice", 2, b"new-3", 3600, 1) == 0
        assert seen(lm, "alice", 2, b"new-4", 3600, 1) == 0
        lm.close()
        st.stop()
        rows, count, keys = table(st)
        assert rows == cap and count == cap, (rows, count, cap)
        # the new ones are in; the two nearest their expiry made room
        for k in (b"first", b"old", b"new-1", b"new-2", b"new-3", b"new-4"):
            assert key(k) in keys, k
        assert key(b"live-0") not in keys and key(b"live-1") not in keys
        assert key(b"live-2") in keys
        st.start()
        lm = st.connect("lmtpd")
        # past the cap, every record drops one: the count stays exact
        for i in range(5):
            assert seen(lm, "alice", 3, b"more-%d" % i, 3600, 1) == 0
        lm.close()
        st.stop()
        rows, count, keys = table(st)
        assert rows == cap and count == cap, (rows, count, cap)
        assert key(b"more-4") in keys and key(b"live-6") not in keys
        assert key(b"live-7") in keys
