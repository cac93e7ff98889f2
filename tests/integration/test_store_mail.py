"""stored serves IMAP and JMAP needs: mailboxes and their hierarchy,
append/fetch/body, flags with UNCHANGEDSINCE, copy/move/expunge, changes
since a modseq, search, JMAP state, threads and blobs, quota, delivery,
notifications (docs/store-protocol.md)."""
import hashlib
import os
import struct

from cloister_ipc import store_shard_of
from store_util import (DELETED, F_ENVELOPE, F_FLAGS, F_IDATE, F_SIZE, FLAGGED,
                        SEEN, T, ERR, Store, append_to, b, fetch_width,
                        meta_block, new_user,
                        memfd_message, parse_uidset, s, u32, u64, uidset)

NOSELECT, NONEXISTENT, HASCHILDREN, HASNOCHILDREN, SUBSCRIBED = (
    1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12)


def user(st, name, service="imapd"):
    return new_user(st, name, service)


def listing(c):
    entries, _ = c.call("STORE_MBOX_LIST", u32(3))
    return {e[0].decode(): e for e in entries}


def mbox_id(c, name):
    return c.call("STORE_MBOX_STATUS", u64(0) + s(name))[0]


def append(c, box, body, **meta):
    # mailbox, uidvalidity, uid, modseq, emailid, threadid, blobid
    return append_to(c, body, box, **meta)


def body_of(c, mbox, uid):
    (size, blobid), fd = c.call("STORE_BODY", u64(mbox) + u32(uid))
    try:
        data = os.pread(fd, size + 1, 0)
    finally:
        os.close(fd)
    return data, blobid


def fetch(c, mbox, what, ranges=((1, 0xffffffff),), since=0):
    entries, trailer = c.call("STORE_FETCH", u64(mbox) + uidset(*ranges) +
                              u32(what) + u64(since), width=fetch_width(what))
    return entries, trailer


def flags(c, mbox, ranges, op, fl, kws=(), unchangedsince=0):
    payload = (u64(mbox) + uidset(*ranges) + u32(op) + u32(fl) + u32(len(kws)) +
               b"".join(s(k) for k in kws) + u64(unchangedsince) + u32(1))
    return c.call("STORE_FLAGS", payload)


def search(c, mbox, prog, sort=()):
    entries, trailer = c.call("STORE_SEARCH", u64(mbox) + b(prog) + u32(len(sort)) +
                              b"".join(u32(k) for k in sort))
    return [e[0] for e in entries], trailer[0]


# search program keys (store_client.h enum store_search_op)
def k_flags_set(m):
    return bytes([5]) + struct.pack(">I", m)


def k_flags_unset(m):
    return bytes([6]) + struct.pack(">I", m)


def k_str(op, v):
    v = v.encode()
    return bytes([op]) + struct.pack(">I", len(v)) + v


def k_header(field, v):
    v = v.encode()
    return bytes([16]) + struct.pack(">II", field, len(v)) + v


def k_u64(op, v):
    return bytes([op]) + struct.pack(">Q", v)


AND, OR, NOT = bytes([2]), bytes([3]), bytes([4])


def test_default_mailboxes_and_hierarchy():
    with Store() as st:
        c = user(st, "alice")
        boxes = listing(c)
        assert set(boxes) == {"INBOX", "Drafts", "Sent", "Junk", "Trash", "Archive"}
        assert boxes["Sent"][2] & 0xff == 1 << 3     # \Sent
        assert boxes["Trash"][2] & 0xff == 1 << 4
        assert boxes["INBOX"][2] & SUBSCRIBED

        # create a/b/c: a and a/b are implied, not created
        c.call("STORE_MBOX_CREATE", s("a/b/c") + u32(0))
        boxes = listing(c)
        for parent in ("a", "a/b"):
            attrs = boxes[parent][2]
            assert attrs & NONEXISTENT and attrs & NOSELECT and attrs & HASCHILDREN, parent
        assert boxes["a/b/c"][2] & HASNOCHILDREN
        # creating an implied parent makes it real
        c.call("STORE_MBOX_CREATE", s("a") + u32(0))
        attrs = listing(c)["a"][2]
        assert not attrs & NONEXISTENT and attrs & HASCHILDREN
        code, _ = c.error("STORE_MBOX_CREATE", s("a") + u32(0))
        assert code == ERR["EXISTS"]

        # delete a parent with children: its name stays, \Noselect
        a_id = mbox_id(c, "a")
        append(c, "a", b"Subject: x\r\n\r\nparent\r\n")
        c.call("STORE_MBOX_DELETE", s("a"))
        attrs = listing(c)["a"][2]
        assert attrs & NOSELECT and attrs & HASCHILDREN
        code, _ = c.error("STORE_MBOX_DELETE", s("a"))
        assert code == ERR["NOTFOUND"]

        # rename moves the subtree and keeps ids
        cid = mbox_id(c, "a/b/c")
        code, _ = c.error("STORE_MBOX_RENAME", s("a/b") + s("z"))   # a/b is implied
        assert code == ERR["NOTFOUND"]
        c.call("STORE_MBOX_CREATE", s("m") + u32(0))
        c.call("STORE_MBOX_CREATE", s("m/n") + u32(0))
        mid, nid = mbox_id(c, "m"), mbox_id(c, "m/n")
        c.call("STORE_MBOX_RENAME", s("m") + s("q/m2"))
        boxes = listing(c)
        assert boxes["q/m2"][1] == mid and boxes["q/m2/n"][1] == nid
        assert "m" not in boxes and "m/n" not in boxes
        code, _ = c.error("STORE_MBOX_RENAME", s("q") + s("q/inner"))
        assert code in (ERR["NOTFOUND"], ERR["DENIED"])
        code, _ = c.error("STORE_MBOX_RENAME", s("q/m2") + s("q/m2/deeper"))
        assert code == ERR["DENIED"]
        assert cid and a_id

        # INBOX is case-insensitive, cannot be deleted
        assert mbox_id(c, "inbox") == mbox_id(c, "INBOX")
        code, _ = c.error("STORE_MBOX_DELETE", s("Inbox"))
        assert code == ERR["DENIED"]
        for bad in ("", "/a", "a/", "a//b", "a*", "x%y", "a\x01b"):
            code, _ = c.error("STORE_MBOX_CREATE", s(bad) + u32(0))
            assert code == ERR["DENIED"], bad

        # renaming INBOX moves its messages and leaves it empty
        append(c, "INBOX", b"Subject: in\r\n\r\ninbox\r\n")
        c.call("STORE_MBOX_RENAME", s("INBOX") + s("old-inbox"))
        st_in = c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))
        st_old = c.call("STORE_MBOX_STATUS", u64(0) + s("old-inbox"))
        assert st_in[4] == 0 and st_old[4] == 1

        # subscriptions: a subscribed name that does not exist is listed
        c.call("STORE_MBOX_SUBSCRIBE", s("ghost") + u32(1))
        attrs = listing(c)["ghost"][2]
        assert attrs & SUBSCRIBED and attrs & NONEXISTENT


def test_append_fetch_body_flags_copy_move_expunge():
    with Store() as st:
        c = user(st, "alice")
        inbox = mbox_id(c, "INBOX")
        msgs = [b"From: a@example.org\r\nSubject: n%d\r\n\r\nbody %d\r\n" % (i, i)
                for i in range(5)]
        res = [append(c, "INBOX", m, flags=SEEN if i % 2 else 0,
                      envelope=b"(env %d)" % i, internaldate=1700000000 + i)
               for i, m in enumerate(msgs)]
        uids = [r[2] for r in res]
        assert uids == [1, 2, 3, 4, 5]
        assert len({r[3] for r in res}) == 5          # modseq per append
        for r, m in zip(res, msgs):
            data, blobid = body_of(c, inbox, r[2])
            assert data == m
            assert blobid == hashlib.sha256(m).digest() == r[6]
            assert r[4] == struct.unpack(">Q", blobid[:8])[0]   # emailid
        st_ = c.call("STORE_MBOX_STATUS", u64(inbox) + s(""))
        assert st_[4] == 5 and st_[5] == 3 and st_[3] == 6     # messages unseen uidnext

        entries, trailer = fetch(c, inbox, F_FLAGS | F_IDATE | F_SIZE | F_ENVELOPE,
                                 ((2, 4),))
        assert [e[0] for e in entries] == [2, 3, 4]
        assert entries[0][1] == SEEN and entries[0][4] == 1700000001
        assert entries[0][6] == len(msgs[1]) and entries[0][7] == b"(env 1)"

        # flags with UNCHANGEDSINCE: message 1 changes, then a stale
        # conditional store on 1:2 fails for 1 only
        e1, t1 = flags(c, inbox, ((1, 1),), 1, FLAGGED, ["$Label1"])
        assert e1[0][0] == 1 and e1[0][1] & FLAGGED and e1[0][2] == 1
        stale = res[1][3]
        e2, t2 = flags(c, inbox, ((1, 2),), 1, DELETED, unchangedsince=stale)
        assert parse_uidset(t2[0]) == [(1, 1)]
        assert [e[0] for e in e2] == [2]
        kws = c.call("STORE_KEYWORDS")
        assert kws == [1, b"$Label1"]

        # copy: COPYUID mapping, then move: source expunged atomically
        trash = mbox_id(c, "Trash")
        _, t = c.call("STORE_COPY", u64(inbox) + uidset((1, 3)) + u64(trash))
        assert parse_uidset(t[1]) == [(1, 3)] and parse_uidset(t[2]) == [(1, 3)]
        arch = mbox_id(c, "Archive")
        before = c.call("STORE_MBOX_STATUS", u64(inbox) + s(""))[9]
        _, t = c.call("STORE_MOVE", u64(inbox) + uidset((4, 5)) + u64(arch))
        assert parse_uidset(t[1]) == [(4, 5)] and parse_uidset(t[2]) == [(1, 2)]
        assert c.call("STORE_MBOX_STATUS", u64(inbox) + s(""))[4] == 3
        data, _ = body_of(c, arch, 2)
        assert data == msgs[4]

        # expunge: only \Deleted; then CHANGES since before the move shows
        # the vanished UIDs and the changed flags
        _, t = c.call("STORE_EXPUNGE", u64(inbox) + uidset())
        assert parse_uidset(t[0]) == [(2, 2)]
        entries, trailer = c.call("STORE_CHANGES", u64(inbox) + u64(before) + u32(F_FLAGS),
                                  width=fetch_width(F_FLAGS))
        assert parse_uidset(trailer[0]) == [(2, 2), (4, 5)]
        code, _ = c.error("STORE_BODY", u64(inbox) + u32(2))
        assert code == ERR["NOTFOUND"]
        # the copy in Trash still has the bytes of message 2
        assert body_of(c, trash, 2)[0] == msgs[1]
        # quota counts every copy: INBOX 1 3, Trash 1-3, Archive 1-2
        used = c.call("STORE_QUOTA_GET")
        assert used[2] == 2 + 3 + 2


def test_search_and_sort():
    with Store() as st:
        c = user(st, "alice")
        inbox = mbox_id(c, "INBOX")
        data = [("alice@example.org", "Lunch on friday", "we eat pizza downtown", 300),
                ("bob@example.net", "Quarterly report", "numbers are up", 100),
                ("carol@example.com", "lunch again", "pasta this time", 200)]
        for frm, subj, text, size in data:
            append(c, "INBOX", b"x" * size, **{"from": frm.encode(), "subject": subj.encode(),
                   "sort_subject": subj.lower().encode(), "text": text.encode(),
                   "headers": b"x-mailer: test %s\nlist-id: <%s>\n" % (
                       frm.encode(), subj.split()[0].lower().encode())})
        flags(c, inbox, ((2, 2),), 1, FLAGGED)
        assert search(c, inbox, k_header(5, "LUNCH"))[0] == [1, 3]
        assert search(c, inbox, k_header(1, "example.net"))[0] == [2]
        assert search(c, inbox, k_str(18, "pizza"))[0] == [1]
        assert search(c, inbox, k_str(18, "pas"))[0] == [3]          # word prefix
        assert search(c, inbox, k_str(19, "quarterly"))[0] == [2]    # TEXT: headers+body
        assert search(c, inbox, k_str(18, "quarterly"))[0] == []     # BODY: body only
        assert search(c, inbox, k_flags_set(FLAGGED))[0] == [2]
        assert search(c, inbox, k_flags_set(FLAGGED) + NOT)[0] == [1, 3]
        assert search(c, inbox, k_flags_set(FLAGGED) + k_str(18, "pizza") + OR)[0] == [1, 2]
        assert search(c, inbox, k_u64(14, 150) + k_u64(15, 250) + AND)[0] == [3]
        hdr = bytes([17]) + struct.pack(">I", 7) + b"list-id" + struct.pack(">I", 5) + b"lunch"
        assert search(c, inbox, hdr)[0] == [1, 3]
        uids = bytes([9]) + struct.pack(">III", 1, 2, 3)
        assert search(c, inbox, uids)[0] == [2, 3]
        assert search(c, inbox, bytes([1]), sort=[5])[0] == [2, 3, 1]           # SIZE
        assert search(c, inbox, bytes([1]), sort=[5 | 0x100])[0] == [1, 3, 2]
        assert search(c, inbox, bytes([1]), sort=[6])[0] == [3, 1, 2]           # SUBJECT
        # a program that leaves two values, an unknown key: refused
        code, _ = c.error("STORE_SEARCH", u64(inbox) + b(bytes([1, 1])) + u32(0))
        assert code == ERR["MALFORMED"]
        code, _ = c.error("STORE_SEARCH", u64(inbox) + b(bytes([99])) + u32(0))
        assert code == ERR["MALFORMED"]
        # quotes and FTS syntax in a search string are just text
        assert search(c, inbox, k_str(18, 'pizza" OR "numbers'))[0] == []


def test_jmap_state_changes_threads_blobs():
    with Store() as st:
        c = user(st, "alice", "jmapd")
        state0 = c.call("STORE_STATE")[0]
        r1 = append(c, "INBOX", b"Message-ID: <1@x>\r\n\r\nfirst\r\n", message_id=b"<1@x>")
        r2 = append(c, "INBOX", b"Message-ID: <2@x>\r\n\r\nreply\r\n", message_id=b"<2@x>",
                    in_reply_to=b"<1@x>", references=b"<1@x>")
        r3 = append(c, "INBOX", b"unrelated\r\n", message_id=b"<3@y>")
        assert r1[5] == r2[5] != r3[5]
        entries, trailer = c.call("STORE_EMAIL_CHANGES", u64(state0) + u32(0))
        created = {e[1] for e in entries if e[0] == 1}
        assert created == {r1[4], r2[4], r3[4]}
        state1 = trailer[0]
        assert state1 == c.call("STORE_STATE")[0] > state0
        inbox = mbox_id(c, "INBOX")
        flags(c, inbox, ((1, 1),), 1, SEEN)
        c.call("STORE_EXPUNGE", u64(inbox) + uidset())   # nothing \Deleted
        flags(c, inbox, ((3, 3),), 1, DELETED)
        c.call("STORE_EXPUNGE", u64(inbox) + uidset())
        entries, trailer = c.call("STORE_EMAIL_CHANGES", u64(state1) + u32(0))
        kinds = {e[1]: e[0] for e in entries}
        assert kinds[r1[4]] == 2 and kinds[r3[4]] == 3 and r2[4] not in kinds
        # limited: whole modseq groups, more = 1, then the rest
        entries, trailer = c.call("STORE_EMAIL_CHANGES", u64(state0) + u32(1))
        assert len(entries) == 1 and trailer[1] == 1
        entries2, trailer2 = c.call("STORE_EMAIL_CHANGES", u64(trailer[0]) + u32(0))
        assert trailer2[1] == 0 and entries2
        code, _ = c.error("STORE_EMAIL_CHANGES", u64(10**9) + u32(0))
        assert code == ERR["CONFLICT"]
        # mailbox changes
        c.call("STORE_MBOX_CREATE", s("Lists") + u32(0))
        entries, _ = c.call("STORE_MBOX_CHANGES", u64(state1) + u32(0))
        lists = mbox_id(c, "Lists")
        assert [1, lists] in entries and [2, inbox] in entries
        # threads and blobs
        locs, _ = c.call("STORE_THREAD_GET", u64(r1[5]))
        assert [l[2] for l in locs] == [1, 2]
        (size,), fd = c.call("STORE_BLOB_GET", b(r2[6]))
        assert os.pread(fd, 100, 0) == b"Message-ID: <2@x>\r\n\r\nreply\r\n"
        os.close(fd)
        code, _ = c.error("STORE_BLOB_GET", b(hashlib.sha256(b"nope").digest()))
        assert code == ERR["NOTFOUND"]
        locs, _ = c.call("STORE_EMAIL_LOCATE", u64(r2[4]))
        assert locs == [[r2[4], inbox, 2]]
        # Email/query: every mailbox, each email once, or one mailbox
        c.call("STORE_COPY", u64(inbox) + uidset((1, 2)) + u64(lists))
        entries, _ = c.call("STORE_SEARCH", u64(0) + b(bytes([1])) + u32(1) + u32(1),
                            width=1)
        assert sorted(e[0] for e in entries) == sorted([r1[4], r2[4]])
        # many at once (Email/set): each id's copies in request order, an
        # unknown id absent; 1 to STORE_LOCATE_MAX ids
        locs, _ = c.call("STORE_EMAIL_LOCATE_MANY", u32(3) + u64(r2[4]) +
                         u64(10**12) + u64(r1[4]))
        assert locs == [[r2[4], inbox, 2], [r2[4], lists, 2],
                        [r1[4], inbox, 1], [r1[4], lists, 1]], locs
        for n in (0, 1025):
            code, _ = c.error("STORE_EMAIL_LOCATE_MANY",
                              u32(n) + u64(r1[4]) * n)
            assert code == ERR["LIMIT"], n
        code, _ = c.error("STORE_EMAIL_LOCATE_MANY", u32(2) + u64(r1[4]))
        assert code == ERR["MALFORMED"]
        prog = bytes([25]) + struct.pack(">Q", lists) + k_flags_set(SEEN) + AND
        entries, _ = c.call("STORE_SEARCH", u64(0) + b(prog) + u32(0), width=1)
        assert [e[0] for e in entries] == [r1[4]]


def test_quota_on_append_and_delivery():
    with Store() as st:
        c = user(st, "alice")
        adm = st.admin()
        # storage counts each message's size plus its metadata block
        ml = len(meta_block())
        limit = 901 + 4 * ml
        adm.call("STORE_ADM_QUOTA_SET", s("alice") + u64(limit) + u64(3))
        append(c, "INBOX", b"x" * 700)
        code, msg = c.error("STORE_APPEND", b"")   # malformed first
        fd, size, mlen = memfd_message(b"y" * 1000)
        code, msg = c.error("STORE_APPEND", u64(0) + s("INBOX") + u64(size) + u32(mlen), fd=fd)
        assert code == ERR["QUOTA"] and "storage" in msg
        lm = st.connect("lmtpd")
        code, _ = lm.error("STORE_RCPT_CHECK", s("alice") + u64(limit))
        assert code == ERR["QUOTA"]
        code, _ = lm.error("STORE_DELIVER", s("alice") + s("") + u64(size) + u32(mlen), fd=fd)
        assert code == ERR["QUOTA"]
        os.close(fd)
        append(c, "INBOX", b"z" * 100)
        append(c, "INBOX", b"w" * 100)
        fd, size, mlen = memfd_message(b"v")
        code, msg = c.error("STORE_APPEND", u64(0) + s("INBOX") + u64(size) + u32(mlen), fd=fd)
        assert code == ERR["QUOTA"] and "count" in msg
        os.close(fd)
        q = adm.call("STORE_ADM_QUOTA_GET", s("alice"))
        assert q == [900 + 3 * ml, limit, 3, 3], q
        # expunging gives the room back
        inbox = mbox_id(c, "INBOX")
        flags(c, inbox, ((1, 1),), 1, DELETED)
        c.call("STORE_EXPUNGE", u64(inbox) + uidset())
        assert c.call("STORE_QUOTA_GET") == [200 + 2 * ml, limit, 2, 3]


def test_delivery_to_inbox_and_detail_mailbox():
    with Store() as st:
        c = user(st, "alice")
        c.call("STORE_MBOX_CREATE", s("lists/cloister") + u32(0))
        c.call("STORE_MBOX_CREATE", s("lists/other") + u32(0))
        adm = st.admin()
        adm.call("STORE_ADM_MBOX_DETAIL", s("alice") + s("lists/cloister") + u32(1) + u32(0))
        lm = st.connect("lmtpd")
        lm.call("STORE_RCPT_CHECK", s("alice") + u64(10))
        code, _ = lm.error("STORE_RCPT_CHECK", s("nobody") + u64(10))
        assert code == ERR["NOTFOUND"]
        # opted in: there; not opted in or absent: INBOX
        for detail, box in (("", "INBOX"), ("lists/cloister", "lists/cloister"),
                            ("lists/other", "INBOX"), ("no-such", "INBOX")):
            before = c.call("STORE_MBOX_STATUS", u64(0) + s(box))[4]
            fd, size, mlen = memfd_message(b"to " + box.encode())
            r = lm.call("STORE_DELIVER", s("alice") + s(detail) + u64(size) + u32(mlen), fd=fd)
            os.close(fd)
            assert r == [], r   # a status only
            assert c.call("STORE_MBOX_STATUS", u64(0) + s(box))[4] == before + 1, detail


def test_notifications_reach_other_channels_only():
    with Store() as st:
        a1 = user(st, "alice")
        a2 = st.connect("imapd")
        a2.hello(st.key, "alice")
        inbox = mbox_id(a1, "INBOX")
        a1.call("STORE_WATCH", u64(inbox) + u32(1))
        a2.call("STORE_WATCH", u64(0) + u32(1))
        lm = st.connect("lmtpd")
        fd, size, mlen = memfd_message(b"hello")
        assert lm.call("STORE_DELIVER", s("alice") + s("") + u64(size) + u32(mlen),
                       fd=fd) == []
        os.close(fd)
        modseq = a1.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[9]
        for ch in (a1, a2):
            n = ch.wait_notify()
            assert n[0] == inbox and n[2] == 1 and n[3] == 2 and n[1] == modseq
        # the channel that made a change is not told about it
        a1.call("STORE_MBOX_CREATE", s("new") + u32(0))
        n = a2.wait_notify()
        assert n[0] == mbox_id(a2, "new")
        flags(a1, inbox, ((1, 1),), 1, SEEN)
        n = a2.wait_notify()
        assert n[0] == inbox
        try:
            a1.wait_notify(timeout=0.3)
            raise AssertionError("a1 was notified of its own change")
        except (OSError, TimeoutError):
            pass


def test_users_shards_and_deletion():
    with Store(shards=2, instance=7, shard=1) as st:
        ours = [n for n in ("erin", "frank", "grace", "heidi", "ivan", "judy")
                if store_shard_of(n, 2) == 1]
        theirs = [n for n in ("erin", "frank", "grace", "heidi", "ivan", "judy")
                  if store_shard_of(n, 2) == 0]
        assert ours and theirs
        adm = st.admin()
        code, msg = adm.error("STORE_ADM_USER_CREATE", s(theirs[0]))
        assert code == ERR["DENIED"] and "shard" in msg
        c = st.connect("imapd")
        code, _ = c.error("STORE_HELLO", b(__import__("store_util").ticket(
            st.key, theirs[0], "imapd", c.instance)))
        assert code == ERR["DENIED"]

        name = ours[0]
        adm.call("STORE_ADM_USER_CREATE", s(name))
        c = st.connect("imapd")
        c.hello(st.key, name)
        append(c, "INBOX", b"Subject: bye\r\n\r\nsoon gone\r\n")
        users, _ = adm.call("STORE_ADM_USER_LIST")
        assert [u[0] for u in users] == [name.encode()]
        assert users[0][3] == 1                    # messages used
        udirs = os.listdir(os.path.join(st.spool, "data", "s1", "u"))
        assert udirs == ["1"]
        adm.call("STORE_ADM_USER_DELETE", s(name))
        assert os.listdir(os.path.join(st.spool, "data", "s1", "u")) == []
        code, _ = c.error("STORE_MBOX_STATUS", u64(0) + s("INBOX"))
        assert code == ERR["NOTFOUND"]
        assert adm.call("STORE_ADM_USER_LIST") == ([], [])
        # the same name again is a new, empty user
        adm.call("STORE_ADM_USER_CREATE", s(name))
        c2 = st.connect("imapd")
        c2.hello(st.key, name)
        assert c2.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4] == 0
        assert os.listdir(os.path.join(st.spool, "data", "s1", "u")) == ["2"]


def test_stats_records_count_requests_and_appends():
    import select
    import struct as st_
    with Store(stats=True) as st:
        c = user(st, "alice")
        for i in range(3):
            append(c, "INBOX", b"m%d" % i)
        import time as t_
        t_.sleep(1.1)
        c.call("PING")              # a turn after the second changed
        totals = [0] * 12
        users = None
        while select.select([st.stats_r], [], [], 0.5)[0]:
            rec = os.read(st.stats_r, 120)
            magic, kind, size = st_.unpack("=IHH", rec[:8])
            assert magic == 0x434c5332 and size == 120   # "CLS2"
            vals = st_.unpack("=12Q2Q", rec[8:])
            if kind == 1:
                totals = [a + b for a, b in zip(totals, vals[:12])]
            else:
                users = vals[12]
        assert totals[10] >= 5 and totals[11] == 3, totals    # ops, appends
        assert users == 1


def test_a_large_reply_to_a_slow_reader_does_not_stall_others():
    import time as t_
    with Store() as st:
        c = user(st, "alice")
        env = b"(" + b"e" * 3000 + b")"
        for i in range(200):
            append(c, "INBOX", b"m%d" % i, envelope=env)
        what = F_FLAGS | F_ENVELOPE
        rid = c.send(T["STORE_FETCH"], u64(1) + uidset((1, 0xffffffff)) + u32(what) + u64(0))
        t_.sleep(0.3)            # the reply (600 KB) fills the socket meanwhile
        other = st.connect("imapd")
        other.hello(st.key, "alice")
        assert mbox_id(other, "INBOX") == 1      # the store is not stuck
        recs = c.reply(rid)
        assert len(recs) > 3 and all(r[1] & 2 for r in recs[:-1])
        from store_util import stream_items
        entries, trailer = stream_items(b"".join(r[2] for r in recs), fetch_width(what))
        assert len(entries) == 200 and all(e[4] == env for e in entries)
        # and the channel serves the next request
        assert c.call("STORE_MBOX_STATUS", u64(1) + s(""))[4] == 200
