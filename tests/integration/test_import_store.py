"""The store side of migration (docs/migration.md, docs/store-protocol.md):
the UID-preserving requests serve root's admin channel only; a mailbox
takes the source's UIDVALIDITY (replacing the store's while it never held
a message) and refuses another one once it holds mail unless new UIDs are
asked for; a batch of appends keeps the source's UIDs, refuses a UID the
mailbox has passed, and goes in whole or not at all."""
import os

from cloister_ipc import decode, s, u32, u64
from store_util import SEEN, Store, meta_block, new_user

MIGRATION = ("STORE_ADM_IMPORT_MBOX", "STORE_ADM_IMPORT_APPEND",
             "STORE_ADM_MSG_LIST", "STORE_ADM_BODY")


def batch(msgs):
    """A memfd holding each (uid, body, flags) then its metadata; the
    request's fields after the user and mailbox."""
    fd = os.memfd_create("batch")
    fields = u32(len(msgs))
    for uid, body, flags in msgs:
        meta = meta_block(flags=flags, internaldate=1600000000 + uid)
        os.write(fd, body + meta)
        fields += u32(uid) + u64(len(body)) + u32(len(meta))
    return fd, fields


def append(adm, user, mbox_id, msgs):
    fd, fields = batch(msgs)
    try:
        return adm.call("STORE_ADM_IMPORT_APPEND", s(user) + u64(mbox_id) +
                        fields, fd=fd)
    finally:
        os.close(fd)


def import_mbox(adm, user, name, uidv, uidnext=0, use=0, flags=0):
    return adm.call("STORE_ADM_IMPORT_MBOX", s(user) + s(name) + u32(uidv) +
                    u32(uidnext) + u32(use) + u32(flags))




def msg_list(adm, user, name):
    from cloister_ipc import T
    recs = adm.raw(T["STORE_ADM_MSG_LIST"], s(user) + s(name))
    f = decode(b"".join(r[2] for r in recs))
    out, i = [], 0
    while f[i] == 1:
        uid, flags, idate, size, h, nkw = f[i + 1:i + 7]
        kws = [k.decode() for k in f[i + 7:i + 7 + nkw]]
        out.append((uid, flags, idate, size, kws))
        assert len(h) == 32
        i += 7 + nkw
    return out, f[i + 1:]


def test_workers_cannot_send_the_migration_requests():
    with Store() as st:
        alice = new_user(st, "alice")
        fd, fields = batch([(5, b"Subject: x\r\n\r\nx\r\n", 0)])
        payloads = {
            "STORE_ADM_IMPORT_MBOX": s("alice") + s("INBOX") + u32(7) +
            u32(0) + u32(0) + u32(0),
            "STORE_ADM_IMPORT_APPEND": s("alice") + u64(0) + fields,
            "STORE_ADM_MSG_LIST": s("alice") + s("INBOX"),
            "STORE_ADM_BODY": s("alice") + u64(1) + u32(1),
        }
        others = [alice, st.connect("lmtpd"), st.connect("jmapd")]
        for c in others:
            for name in MIGRATION:
                code, msg = c.error(name, payloads[name],
                                    fd=fd if name.endswith("APPEND") else None)
                assert "unexpected" in msg, (c.service, name, code, msg)
        os.close(fd)
        # nothing changed: INBOX keeps the store's UIDVALIDITY, holds nothing
        st_ = alice.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))
        assert st_[2] != 7 and st_[4] == 0, st_
        for c in others:
            c.close()


def test_uidvalidity_and_uids_as_the_source_has_them():
    with Store() as st:
        alice = new_user(st, "alice")
        adm = st.admin()
        # INBOX never held a message: it takes the source's UIDVALIDITY
        mid, uidv, uidnext, keep = import_mbox(adm, "alice", "INBOX", 4242)
        assert (uidv, uidnext, keep) == (4242, 1, 1)
        r = append(adm, "alice", mid, [(3, b"Subject: a\r\n\r\na\r\n", SEEN),
                                       (9, b"Subject: b\r\n\r\nb\r\n", 0)])
        assert r == [2, 3, 9], r
        # a UID the mailbox has passed (present or not) is refused, and the
        # batch it is in goes nowhere
        for uid in (3, 7, 9):
            code, msg = adm.error("STORE_ADM_IMPORT_APPEND", s("alice") +
                                  u64(mid) + batch([(20, b"S: c\r\n\r\nc", 0),
                                                    (uid, b"S: d\r\n\r\nd", 0)])[1],
                                  fd=batch([(20, b"S: c\r\n\r\nc", 0),
                                            (uid, b"S: d\r\n\r\nd", 0)])[0])
            assert "below" in msg, (uid, code, msg)
        msgs, trailer = msg_list(adm, "alice", "INBOX")
        assert [(m[0], m[1], m[2]) for m in msgs] == \
            [(3, SEEN, 1600000003), (9, 0, 1600000009)], msgs
        assert trailer[1:] == [4242, 10], trailer
        # UIDNEXT raised to the source's; a worker sees all of it
        assert import_mbox(adm, "alice", "INBOX", 4242, uidnext=50)[2] == 50
        status = alice.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))
        assert status[2] == 4242 and status[3] == 50 and status[4] == 2, status
        # another UIDVALIDITY once it holds mail: refused, or new UIDs
        code, msg = adm.error("STORE_ADM_IMPORT_MBOX", s("alice") + s("INBOX") +
                              u32(999) + u32(0) + u32(0) + u32(0))
        assert "UIDVALIDITY 4242" in msg and "999" in msg, msg
        mid2, uidv, _, keep = import_mbox(adm, "alice", "INBOX", 999, flags=2)
        assert (mid2, uidv, keep) == (mid, 4242, 0)
        # a new mailbox: created with it, subscribed, its special use
        m3, uidv, _, keep = import_mbox(adm, "alice", "Old/Sent", 77, use=8,
                                        flags=1)
        assert (uidv, keep) == (77, 1)
        lst = adm.call("STORE_ADM_MBOX_LIST", s("alice") + u32(2))[0]
        row = [e for e in lst if e[0] == b"Old/Sent"][0]
        assert row[2] & 8 and row[2] & (1 << 12), row   # \Sent, subscribed
        adm.close()
        alice.close()


def test_a_worker_policy_naming_them_does_not_give_them():
    """The admin flag, not a policy line: imapd's policy granting the
    migration requests (a slip of an editor) still gets them refused."""
    def grant(name, text):
        if name != "imapd":
            return text
        return text + "\nstore-op %s : granted by mistake\n" % \
            " ".join(n.lower() for n in MIGRATION)
    with Store(policy_edit=grant) as st:
        alice = new_user(st, "alice")
        fd, fields = batch([(5, b"Subject: x\r\n\r\nx\r\n", 0)])
        code, msg = alice.error("STORE_ADM_IMPORT_APPEND", s("alice") + u64(1) +
                                fields, fd=fd)
        os.close(fd)
        assert "unexpected" in msg, (code, msg)
        code, msg = alice.error("STORE_ADM_IMPORT_MBOX", s("alice") +
                                s("INBOX") + u32(7) + u32(0) + u32(0) + u32(0))
        assert "unexpected" in msg, (code, msg)
        alice.close()
