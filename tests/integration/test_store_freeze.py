"""Freeze for backups: a write issued during a freeze completes after the
release; reads go on; a snapshot copied during the freeze opens with
sqlite3 and holds every message acknowledged before it; a freeze the
timeout ended is reported as such (a distinct THAW result); closing the
freezing channel releases it."""
import hashlib
import os
import shutil
import socket
import sqlite3
import tempfile
import time

from store_util import ERR, T, Store, decode, meta_block, s, u32, u64, uidset
from test_store_mail import append, mbox_id


def start_append(c, body):
    meta = meta_block()
    fd = os.memfd_create("m")
    os.write(fd, body + meta)
    rid = c.send(T["STORE_APPEND"], u64(0) + s("INBOX") + u64(len(body)) + u32(len(meta)),
                 fd=fd)
    os.close(fd)
    return rid


def no_reply_within(c, seconds):
    c.sock.settimeout(seconds)
    try:
        c.sock.recv(1, socket.MSG_PEEK)
    except (socket.timeout, TimeoutError):
        return True
    return False


def test_freeze_holds_writes_and_gives_a_consistent_snapshot():
    with Store() as st:
        adm = st.admin()
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        c = st.connect("imapd")
        c.hello(st.key, "alice")
        bodies = [b"Subject: %d\r\n\r\nbefore the freeze %d\r\n" % (i, i) for i in range(20)]
        for body in bodies:
            append(c, "INBOX", body)

        assert adm.call("STORE_ADM_FREEZE", u32(30)) == []
        # a write waits...
        w = st.connect("imapd")
        w.hello(st.key, "alice")
        rid = start_append(w, b"Subject: during\r\n\r\nwritten during the freeze\r\n")
        assert no_reply_within(w, 0.5), "a write completed during the freeze"
        # ...reads go on
        assert c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4] == 20
        (size, _), fd = c.call("STORE_BODY", u64(1) + u32(3))
        assert os.pread(fd, size, 0) == bodies[2]
        os.close(fd)
        # the freezer itself may not write (it could never thaw)
        code, _ = adm.error("STORE_ADM_QUOTA_SET", s("alice") + u64(0) + u64(0))
        assert code == ERR["TEMPORARY"]

        snap = tempfile.mkdtemp(prefix="cloister-snap-")
        shutil.copytree(os.path.join(st.spool, "data"), os.path.join(snap, "data"))
        assert no_reply_within(w, 0.1)

        assert adm.call("STORE_ADM_THAW") == [0]
        type_, flags, data, fd = w.reply(rid)[-1]
        assert type_ == T["OK"], decode(data)
        assert decode(data)[2] == 21
        assert c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4] == 21

        # the snapshot: every database opens and holds the 20 messages
        try:
            dbs = [os.path.join(r, f) for r, _d, fs in os.walk(snap) for f in fs
                   if f.endswith(".db")]
            assert len(dbs) == 2
            for path in dbs:
                # no WAL left to replay: the freeze checkpointed it
                wal = path + "-wal"
                assert not os.path.exists(wal) or os.path.getsize(wal) == 0, wal
                db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                if path.endswith("mail.db"):
                    rows = db.execute("SELECT b.hash FROM msgs m JOIN blobs b"
                                      " ON b.id=m.blob WHERE m.mailbox=1").fetchall()
                    assert len(rows) == 20
                    hashes = {r[0] for r in rows}
                    assert hashes == {hashlib.sha256(x).digest() for x in bodies}
                    udir = os.path.dirname(path)
                    for h in hashes:
                        with open(os.path.join(udir, h.hex()), "rb") as f:
                            assert hashlib.sha256(f.read()).digest() == h
                db.close()
        finally:
            shutil.rmtree(snap, ignore_errors=True)
        code, _ = adm.error("STORE_ADM_THAW")
        assert code == ERR["NOTFOUND"]


def test_a_timed_out_freeze_is_reported_and_held_writes_complete():
    with Store() as st:
        adm = st.admin()
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        w = st.connect("imapd")
        w.hello(st.key, "alice")
        adm.call("STORE_ADM_FREEZE", u32(1))
        code, _ = st.admin().error("STORE_ADM_FREEZE", u32(5))
        assert code == ERR["EXISTS"]
        rid = start_append(w, b"held until the timeout")
        t0 = time.time()
        type_, flags, data, fd = w.reply(rid, timeout=10)[-1]
        assert type_ == T["OK"] and 0.5 < time.time() - t0 < 5
        assert adm.call("STORE_ADM_THAW") == [1]     # distinct: timed out
        assert "timed out" in st.log_text()


def test_closing_the_freezing_channel_releases_the_freeze():
    with Store() as st:
        adm = st.admin()
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        w = st.connect("imapd")
        w.hello(st.key, "alice")
        adm2 = st.admin()
        adm2.call("STORE_ADM_FREEZE", u32(60))
        rids = [start_append(w, b"one")]
        assert no_reply_within(w, 0.3)
        adm2.close()
        type_, flags, data, fd = w.reply(rids[0])[-1]
        assert type_ == T["OK"]
        # several held writers all complete, none fails
        chans = []
        adm.call("STORE_ADM_FREEZE", u32(60))
        for i in range(10):
            c = st.connect("imapd")
            c.hello(st.key, "alice")
            chans.append((c, start_append(c, b"writer %d" % i)))
        lm = st.connect("lmtpd")
        meta = meta_block()
        fd = os.memfd_create("m")
        os.write(fd, b"lmtp" + meta)
        lrid = lm.send(T["STORE_DELIVER"], s("alice") + s("") + u64(4) + u32(len(meta)), fd=fd)
        os.close(fd)
        assert no_reply_within(chans[0][0], 0.3)
        assert adm.call("STORE_ADM_THAW") == [0]
        for c, rid in chans + [(lm, lrid)]:
            type_, flags, data, fd = c.reply(rid)[-1]
            assert type_ == T["OK"], decode(data)
        assert w.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4] == 12
