"""docs/design.md rule 5 at the store: clients append in a loop (several channels,
so that group commit batches them) and record every acknowledged
message while stored is killed with SIGKILL at random moments, at least
200 times, and restarted each time. Afterwards every acknowledged message
is present and byte-identical, no temporary file is left, and PRAGMA
integrity_check is ok on every database."""
import hashlib
import os
import random
import sqlite3
import threading
import time

from store_util import ERR, T, Store, b, decode, meta_block, s, u32, u64

KILLS = int(os.environ.get("STORE_KILLS", "200"))
CHANNELS = 4


def connect_all(st):
    chans = []
    for _ in range(CHANNELS):
        c = st.connect("imapd")
        c.hello(st.key, "alice")
        chans.append(c)
    return chans


def run_cycle(st, rng, acked, seq):
    """Append until the store dies under us; returns the new seq."""
    # kill at a random moment once the store serves: before, during or
    # after a batch's commit, or while a reply is on its way
    killer = threading.Timer(rng.uniform(0.0, 0.06), st.proc.kill)
    try:
        chans = connect_all(st)
    except (OSError, EOFError, AssertionError):
        return seq
    # Half of the kills come at any moment, recovery included; the other
    # half after a first batch was acknowledged, so that a loaded machine
    # (slow restarts) still exercises kills in the middle of appends.
    early = rng.random() < 0.5
    if early:
        killer.start()
    try:
        while True:
            pending = []
            for c in chans:
                seq += 1
                body = b"Message-ID: <%d@kill>\r\n\r\n" % seq + rng.randbytes(rng.randint(100, 6000))
                meta = meta_block(message_id=b"<%d@kill>" % seq)
                fd = os.memfd_create("m")
                os.write(fd, body + meta)
                rid = c.send(T["STORE_APPEND"], u64(1) + s("") + u64(len(body)) + u32(len(meta)),
                             fd=fd)
                os.close(fd)
                pending.append((c, rid, body))
            for c, rid, body in pending:
                type_, flags, data, fd = c.reply(rid, timeout=10)[-1]
                assert type_ == T["OK"], decode(data)
                fields = decode(data)
                uid = fields[2]
                assert uid not in acked, "UID %d acknowledged twice" % uid
                acked[uid] = hashlib.sha256(body).digest()
            if not early and not killer.is_alive() and not killer.finished.is_set():
                killer.start()
    except (OSError, EOFError):
        pass          # the kill
    finally:
        killer.cancel()
        for c in chans:
            c.close()
        st.kill()
    return seq


def test_kill_minus_nine_loses_no_acknowledged_message():
    rng = random.Random(int(os.environ.get("STORE_SEED", str(int(time.time())))))
    st = Store()
    try:
        st.start()
        st.admin().call("STORE_ADM_USER_CREATE", s("alice"))
        st.kill()
        acked = {}
        seq = 0
        t0 = time.time()
        for _ in range(KILLS):
            st.start(wait=False)
            seq = run_cycle(st, rng, acked, seq)
        elapsed = time.time() - t0
        print("%d kills, %d appends acknowledged, %.1fs" % (KILLS, len(acked), elapsed))
        assert len(acked) >= KILLS // 2, "too few appends got through to mean anything"

        st.start()
        c = st.connect("imapd")
        c.hello(st.key, "alice")
        status = c.call("STORE_MBOX_STATUS", u64(1) + s(""))
        assert status[4] >= len(acked)
        for uid, digest in acked.items():
            (size, blobid), fd = c.call("STORE_BODY", u64(1) + u32(uid))
            data = os.pread(fd, size + 1, 0)
            os.close(fd)
            assert hashlib.sha256(data).digest() == digest == blobid, "UID %d differs" % uid
        # the crash leftovers were swept when the database was opened
        leftovers = [f for root, _d, files in os.walk(st.spool) for f in files
                     if f.startswith("tmp.")]
        assert not leftovers, (leftovers, st.log_text()[-3000:])
        st.stop()
        for path in st.user_dbs():
            db = sqlite3.connect(path)
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", path
            db.close()
        assert len(st.user_dbs()) >= 2
    finally:
        st.cleanup()
