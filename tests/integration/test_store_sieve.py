"""Sieve scripts, seen records and delivery into a mailbox by name, against
a real stored (docs/store-protocol.md, "Sieve scripts, seen records,
delivery into a mailbox by name"): a session reaches its own user's
scripts only, the delivery right reads programs and nothing else, no
other service gets the delivery calls; quota, one active script, the
active one kept from deletion, rename, a program returned byte-exact,
names checked byte by byte; seen records that expire; fileinto with
:create and :flags, the flags kept as named."""
import hashlib
import os
import time

from store_util import (ANSWERED, DELETED, ERR, F_FLAGS, FLAGGED, SEEN, Store,
                        StoreError, T, b, meta_block, memfd_message, s,
                        stream_items, u32, u64)
from cloister_ipc import TAG_STR
from test_store_mail import fetch, mbox_id, user

SIEVE_OPS = ("store_sieve_list store_sieve_put store_sieve_get"
             " store_sieve_activate store_sieve_delete store_sieve_rename"
             " store_sieve_havespace")


def grant_sieve(name, text):
    """imapd stands in for a ManageSieve worker: its policy grants the
    user-session Sieve calls; jmapd's (JMAP Sieve) loses them here, to
    stand for a service whose policy does not have them."""
    if name == "imapd":
        text += "\nstore-op %s : ManageSieve\n" % SIEVE_OPS
    if name == "jmapd":
        text = "\n".join(l for l in text.split("\n")
                         if not l.startswith("store-op store_sieve_"))
    return text


def sieve_store(**kw):
    return Store(policy_edit=grant_sieve, **kw)


def blobs_fd(src, prog):
    fd = os.memfd_create("sieve")
    os.write(fd, src + prog)
    return fd


def put(c, name, src, prog=None, user=None):
    prog = prog if prog is not None else b"PROGRAM:" + src
    fd = blobs_fd(src, prog)
    try:
        head = s(name) + u64(len(src)) + u64(len(prog))
        if user is None:
            return c.call("STORE_SIEVE_PUT", head, fd=fd)
        return c.call("STORE_ADM_SIEVE_PUT", s(user) + head, fd=fd)
    finally:
        os.close(fd)


def put_error(c, name, src, prog=b"P"):
    fd = blobs_fd(src, prog)
    try:
        return c.error("STORE_SIEVE_PUT", s(name) + u64(len(src)) + u64(len(prog)),
                       fd=fd)
    finally:
        os.close(fd)


def streamed(c, name, payload, width):
    recs = c.raw(T[name], payload)
    data = b"".join(r[2] for r in recs)
    entries = stream_items(data, width)[0]
    # every entry starts with the script's name: a str field (what
    # store_client decodes), not bytes
    assert not entries or data[5] == TAG_STR, data[:8]
    return entries


def scripts(c, user=None):
    """{name: (active, size)}"""
    if user is None:
        entries = streamed(c, "STORE_SIEVE_LIST", b"", 3)
    else:
        entries = streamed(c, "STORE_ADM_SIEVE", s(user) + u32(1) + s(""), 3)
    return {e[0].decode(): (e[1], e[2]) for e in entries}


def get(c, name):
    (entry,) = streamed(c, "STORE_SIEVE_GET", s(name), 2)
    assert entry[0].decode() == name
    return entry[1]


def program(lm, user, name=""):
    (entry,) = streamed(lm, "STORE_SIEVE_PROGRAM", s(user) + s(name), 2)
    return entry[0].decode(), entry[1]


def seen(lm, user, kind, what, seconds, record):
    key = hashlib.sha256(what).digest()
    return lm.call("STORE_SEEN_CHECK", s(user) + u32(kind) + b(key)
                   + u64(seconds) + u32(record))[0]


def seen_recs(recs):
    """STORE_DELIVER_TO's seen records: (kind, key, seconds) each."""
    return u32(len(recs)) + b"".join(u32(k) + b(key) + u64(t)
                                     for k, key, t in recs)


def h(what):
    return hashlib.sha256(what).digest()


def deliver_to(lm, rcpt, box, create, flags, body=b"Subject: x\r\n\r\nx\r\n",
               recs=()):
    fd, size, mlen = memfd_message(body, meta_block())
    try:
        payload = s(rcpt) + s(box) + u32(create) + u32(len(flags))
        payload += b"".join(s(f) for f in flags) + seen_recs(recs)
        payload += u64(size) + u32(mlen)
        return lm.call("STORE_DELIVER_TO", payload, fd=fd)
    finally:
        os.close(fd)


def deliver_to_error(lm, rcpt, box, create, flags, recs=()):
    try:
        deliver_to(lm, rcpt, box, create, flags, recs=recs)
    except StoreError as e:
        return e.code, e.msg
    raise AssertionError("STORE_DELIVER_TO succeeded")


def test_a_session_reaches_its_own_scripts_only():
    with sieve_store() as st:
        alice = user(st, "alice")
        bob = user(st, "bob")
        assert put(alice, "vacation", b"keep;") == []
        assert scripts(alice) == {"vacation": (0, 5)}
        assert scripts(bob) == {}
        # bob names alice's script: his own user's, which has none
        code, _ = bob.error("STORE_SIEVE_GET", s("vacation"))
        assert code == ERR["NOTFOUND"], code
        code, _ = bob.error("STORE_SIEVE_DELETE", s("vacation"))
        assert code == ERR["NOTFOUND"], code
        assert put(bob, "vacation", b"discard;") == []
        assert get(alice, "vacation") == b"keep;"
        assert get(bob, "vacation") == b"discard;"
        # a policy without the Sieve store-ops does not reach them
        j = st.connect("jmapd")
        j.hello(st.key, "alice", service="jmapd")
        code, msg = j.error("STORE_SIEVE_LIST")
        assert code == ERR["UNEXPECTED"], (code, msg)
        # the delivery right's channel has no user: no session calls
        lm = st.connect("lmtpd")
        code, _ = lm.error("STORE_SIEVE_LIST")
        assert code == ERR["UNEXPECTED"]


def test_the_delivery_calls_are_lmtpds_only():
    with sieve_store() as st:
        alice = user(st, "alice")
        put(alice, "main", b"keep;")
        alice.call("STORE_SIEVE_ACTIVATE", s("main"))
        key = b"k" * 32
        calls = (("STORE_SIEVE_PROGRAM", s("alice") + s("")),
                 ("STORE_SEEN_CHECK", s("alice") + u32(1) + b(key)
                  + u64(60) + u32(1)))
        fresh = st.connect("imapd")        # imapd with no user bound yet
        for c in (alice, fresh):
            for name, payload in calls:
                code, msg = c.error(name, payload)
                assert code == ERR["UNEXPECTED"], (name, code, msg)
            code, _ = deliver_to_error(c, "alice", "Junk", 0, [])
            assert code == ERR["UNEXPECTED"], code
        adm = st.admin()
        code, _ = adm.error("STORE_SIEVE_PROGRAM", s("alice") + s(""))
        assert code == ERR["UNEXPECTED"]
        # and lmtpd reads programs, never sources or the list
        lm = st.connect("lmtpd")
        assert program(lm, "alice") == ("main", b"PROGRAM:keep;")
        code, _ = lm.error("STORE_ADM_SIEVE", s("alice") + u32(2) + s("main"))
        assert code == ERR["UNEXPECTED"]


def test_quota_names_one_active_and_the_active_kept():
    with sieve_store(options=" set sieve-max-scripts 3\n"
                     " set sieve-max-script-size 100\n") as st:
        alice = user(st, "alice")
        for n in ("a", "b", "c"):
            put(alice, n, b"keep;")
        code, _ = put_error(alice, "d", b"keep;")
        assert code == ERR["QUOTA"], code
        put(alice, "c", b"x" * 100)              # replacing: no new script
        code, msg = put_error(alice, "c", b"x" * 101)
        assert code == ERR["QUOTA"] and "sieve-max-script-size" in msg, msg
        assert get(alice, "c") == b"x" * 100
        code, _ = alice.error("STORE_SIEVE_HAVESPACE", s("d") + u64(10))
        assert code == ERR["QUOTA"]
        assert alice.call("STORE_SIEVE_HAVESPACE", s("a") + u64(100)) == []
        code, _ = alice.error("STORE_SIEVE_HAVESPACE", s("a") + u64(101))
        assert code == ERR["QUOTA"]
        # a program of 0 bytes or past 1 MiB is refused
        code, _ = put_error(alice, "a", b"keep;", prog=b"")
        assert code == ERR["LIMIT"]
        code, _ = put_error(alice, "a", b"keep;", prog=b"p" * ((1 << 20) + 1))
        assert code == ERR["LIMIT"]
        # names, byte by byte
        for bad in ("", "a/b", "tab\there", "nul\0", "x" * 129, "line\u2028sep",
                    "c1\u0085"):
            code, msg = put_error(alice, bad, b"keep;")
            assert code in (ERR["DENIED"], ERR["MALFORMED"]), (bad, code, msg)
        for raw in (b"\xc0\xaf", b"\xed\xa0\x80", b"\xff", b"ab\xe2\x82"):
            fd = blobs_fd(b"k", b"p")
            code, _ = alice.error("STORE_SIEVE_PUT", s(raw) + u64(1) + u64(1),
                                  fd=fd)
            os.close(fd)
            assert code == ERR["DENIED"], (raw, code)
        # UTF-8 names up to 128 bytes are names (a slot made by deleting)
        alice.call("STORE_SIEVE_DELETE", s("c"))
        for good in ("vacances été ✈", "x" * 128):
            put(alice, good, b"keep;")
            assert good in scripts(alice) and get(alice, good) == b"keep;"
            alice.call("STORE_SIEVE_DELETE", s(good))
        put(alice, "c", b"x" * 100)
        # one active at a time
        alice.call("STORE_SIEVE_ACTIVATE", s("a"))
        alice.call("STORE_SIEVE_ACTIVATE", s("b"))
        assert {n: a for n, (a, _) in scripts(alice).items()} == \
            {"a": 0, "b": 1, "c": 0}
        code, _ = alice.error("STORE_SIEVE_ACTIVATE", s("nosuch"))
        assert code == ERR["NOTFOUND"]
        assert scripts(alice)["b"][0] == 1       # a failed activate left it
        code, _ = alice.error("STORE_SIEVE_DELETE", s("b"))
        assert code == ERR["CONFLICT"]
        # rename: the active flag goes along; onto an existing name refused
        code, _ = alice.error("STORE_SIEVE_RENAME", s("b") + s("a"))
        assert code == ERR["EXISTS"]
        alice.call("STORE_SIEVE_RENAME", s("b") + s("main"))
        assert scripts(alice)["main"][0] == 1 and "b" not in scripts(alice)
        code, _ = alice.error("STORE_SIEVE_RENAME", s("b") + s("z"))
        assert code == ERR["NOTFOUND"]
        alice.call("STORE_SIEVE_ACTIVATE", s(""))
        assert all(a == 0 for a, _ in scripts(alice).values())
        alice.call("STORE_SIEVE_DELETE", s("main"))
        assert set(scripts(alice)) == {"a", "c"}
        lm = st.connect("lmtpd")
        code, _ = lm.error("STORE_SIEVE_PROGRAM", s("alice") + s(""))
        assert code == ERR["NOTFOUND"]            # none active


def test_a_program_comes_back_byte_exact():
    with sieve_store() as st:
        alice = user(st, "alice")
        prog = os.urandom(300 * 1024) + b"\0\xff" * 7   # several records
        put(alice, "big", b"require \"fileinto\";", prog=prog)
        alice.call("STORE_SIEVE_ACTIVATE", s("big"))
        lm = st.connect("lmtpd")
        assert program(lm, "alice") == ("big", prog)
        assert program(lm, "alice", "big") == ("big", prog)
        code, _ = lm.error("STORE_SIEVE_PROGRAM", s("bob") + s(""))
        assert code == ERR["NOTFOUND"]
        # replaced: the new bytes, still active
        put(alice, "big", b"keep;", prog=b"\x01\x02")
        assert program(lm, "alice") == ("big", b"\x01\x02")


def test_seen_records_expire():
    with sieve_store() as st:
        user(st, "alice")
        lm = st.connect("lmtpd")
        assert seen(lm, "alice", 1, b"bob@example.org", 2, 1) == 0
        assert seen(lm, "alice", 1, b"bob@example.org", 2, 1) == 1
        # another kind, another key: not seen
        assert seen(lm, "alice", 2, b"bob@example.org", 60, 0) == 0
        assert seen(lm, "alice", 1, b"carol@example.org", 60, 0) == 0
        # asked with a shorter window than the record's age: not seen
        assert seen(lm, "alice", 3, b"<id@x>", 3600, 1) == 0
        time.sleep(2.2)
        assert seen(lm, "alice", 1, b"bob@example.org", 2, 0) == 0   # expired
        assert seen(lm, "alice", 3, b"<id@x>", 1, 0) == 0            # older than 1s
        assert seen(lm, "alice", 3, b"<id@x>", 3600, 0) == 1
        # record 0 never records
        assert seen(lm, "alice", 2, b"dup", 60, 0) == 0
        assert seen(lm, "alice", 2, b"dup", 60, 0) == 0
        for kind, klen, secs, rec in ((0, 32, 60, 1), (4, 32, 60, 1),
                                      (1, 31, 60, 1), (1, 32, 0, 1),
                                      (1, 32, 60, 2)):
            code, _ = lm.error("STORE_SEEN_CHECK", s("alice") + u32(kind)
                               + b(b"k" * klen) + u64(secs) + u32(rec))
            assert code == ERR["MALFORMED"], (kind, klen, secs, rec)
        st.stop()
        import sqlite3
        from test_store_recent import alice_db
        db = sqlite3.connect(alice_db(st))
        # the expired record was pruned by a later check
        kinds = sorted(r[0] for r in db.execute("SELECT kind FROM seen"))
        db.close()
        assert kinds == [3], kinds


def test_deliver_to_creates_and_keeps_the_flags_named():
    with sieve_store() as st:
        alice = user(st, "alice")
        lm = st.connect("lmtpd")
        # a special-use mailbox is a target (fileinto "Junk")
        assert deliver_to(lm, "alice", "Junk", 0, ["\\Seen", "$Junk"]) == []
        junk = mbox_id(alice, "Junk")
        entries, _ = fetch(alice, junk, F_FLAGS)
        names = alice.call("STORE_KEYWORDS")[1:]
        assert entries[0][1] == SEEN, entries
        assert [n for i, n in enumerate(names) if entries[0][2] & (1 << i)] == [b"$Junk"]
        # absent without :create: NOTFOUND, nothing made
        code, _ = deliver_to_error(lm, "alice", "lists/cloister", 0, [])
        assert code == ERR["NOTFOUND"], code
        code, _ = alice.error("STORE_MBOX_STATUS", u64(0) + s("lists/cloister"))
        assert code == ERR["NOTFOUND"]
        # :create, and every flag named kept (the user's own script asked)
        flags = ["\\flagged", "\\Answered", "\\Deleted", "Project-X", "$label1"]
        assert deliver_to(lm, "alice", "lists/cloister", 1, flags) == []
        box = mbox_id(alice, "lists/cloister")
        entries, _ = fetch(alice, box, F_FLAGS)
        assert entries[0][1] == FLAGGED | ANSWERED | DELETED, entries
        names = alice.call("STORE_KEYWORDS")[1:]
        held = {n for i, n in enumerate(names) if entries[0][2] & (1 << i)}
        assert held == {b"Project-X", b"$label1"}, held
        # malformed flags refused before anything is stored
        for bad in (["\\Recent"], ["\\Bogus"], ["two words"], ["par(en"],
                    ["quo\"te"], [""], ["k" * 65], ["\u00e9t\u00e9"]):
            code, msg = deliver_to_error(lm, "alice", "INBOX", 0, bad)
            assert code == ERR["MALFORMED"], (bad, code, msg)
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4] == 0
        code, _ = deliver_to_error(lm, "nosuch", "INBOX", 0, [])
        assert code == ERR["NOTFOUND"]



IF_NEW = 0x100   # STORE_SEEN_IF_NEW, or'ed into a record's kind


def test_deliver_to_refuses_what_its_if_new_record_has_seen():
    """A record sent with STORE_SEEN_IF_NEW is the duplicate check at
    delivery made within the delivery: the first files the message and
    makes the record; the next is refused with EXISTS before anything is
    made (no message, no mailbox, no other record); without the bit the
    record is simply made again."""
    with sieve_store() as st:
        alice = user(st, "alice")
        lm = st.connect("lmtpd")

        def inbox():
            return alice.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4]

        own = (3 | IF_NEW, h(b"<dup@x>"), 3600)
        assert deliver_to(lm, "alice", "INBOX", 0, [], recs=[own]) == []
        assert seen(lm, "alice", 3, b"<dup@x>", 3600, 0) == 1
        assert inbox() == 1
        other = (2, h(b"dup-test-b"), 60)
        code, msg = deliver_to_error(lm, "alice", "Bench", 1, [],
                                     recs=[other, own])
        assert code == ERR["EXISTS"], (code, msg)
        assert inbox() == 1
        code, _ = alice.error("STORE_MBOX_STATUS", u64(0) + s("Bench"))
        assert code == ERR["NOTFOUND"], code
        assert seen(lm, "alice", 2, b"dup-test-b", 60, 0) == 0
        # another key with the bit: delivered
        assert deliver_to(lm, "alice", "INBOX", 0, [],
                          recs=[(3 | IF_NEW, h(b"<new@x>"), 3600)]) == []
        assert inbox() == 2
        # the same key without the bit: recorded again, delivered
        assert deliver_to(lm, "alice", "INBOX", 0, [],
                          recs=[(3, h(b"<dup@x>"), 3600)]) == []
        assert inbox() == 3
        # the bit belongs to STORE_DELIVER_TO's records only
        code, _ = lm.error("STORE_SEEN_CHECK", s("alice") + u32(3 | IF_NEW)
                           + b(h(b"<dup@x>")) + u64(3600) + u32(0))
        assert code == ERR["MALFORMED"], code

SCRIPT = b"""require ["fileinto", "imap4flags"];
if header :contains "subject" "cloister" {
    fileinto :flags "\\\\Seen" "lists/cloister";
}
"""


def test_cloisterctl_sieve_end_to_end():
    import subprocess
    import tempfile
    from harness import tool
    from imap_util import ImapServer

    isrv = ImapServer(users={"alice": "a-pass-1", "bob": "b-pass-1"})
    tmp = tempfile.mkdtemp(prefix="cloister-sieve-")
    try:
        isrv.start()

        def ctl(*args, stdin=None):
            return subprocess.run([tool("cloisterctl"), "-c", isrv.srv.config_path]
                                  + list(args), input=stdin, capture_output=True,
                                  timeout=60)
        good = os.path.join(tmp, "good.sieve")
        with open(good, "wb") as f:
            f.write(SCRIPT)
        bad = os.path.join(tmp, "bad.sieve")
        with open(bad, "wb") as f:
            f.write(b"keep;\nif header :is \"x\" {\n  fileinto \"y\";\n")
        r = ctl("sieve", "check", good)
        assert r.returncode == 0 and b"ok" in r.stdout, r
        r = ctl("sieve", "check", bad)
        assert r.returncode == 1 and b"line 2" not in r.stdout, r
        assert b": line " in r.stderr and b", column " in r.stderr, r.stderr
        # a script that does not compile is not stored
        r = ctl("sieve", "put", "alice", "broken", bad)
        assert r.returncode == 1 and b"line " in r.stderr, r
        r = ctl("sieve", "put", "alice", "lists", good)
        assert r.returncode == 0, r.stderr
        r = ctl("sieve", "put", "alice", "other", "-", stdin=b"keep;\n")
        assert r.returncode == 0, r.stderr
        r = ctl("sieve", "activate", "alice", "lists")
        assert r.returncode == 0, r.stderr
        r = ctl("sieve", "list", "alice")
        assert r.returncode == 0, r
        assert r.stdout.decode().splitlines() == [
            "lists\tactive\t%d" % len(SCRIPT), "other\t-\t6"], r.stdout
        assert ctl("sieve", "list", "bob").stdout == b""
        r = ctl("sieve", "get", "alice", "lists")
        assert r.returncode == 0 and r.stdout == SCRIPT, r
        r = ctl("sieve", "delete", "alice", "lists")
        assert r.returncode == 1, r                      # the active one
        r = ctl("sieve", "get", "alice", "nosuch")
        assert r.returncode == 1, r
        assert ctl("sieve", "deactivate", "alice").returncode == 0
        assert ctl("sieve", "delete", "alice", "lists").returncode == 0
        r = ctl("sieve", "list", "alice")
        assert r.stdout.decode().splitlines() == ["other\t-\t6"], r.stdout
        r = ctl("sieve", "put", "alice", "a/b", good)
        assert r.returncode == 1, r                      # an invalid name
        r = ctl("sieve", "list")
        assert r.returncode == 64, r                     # usage
        # a Dovecot user's sieve_dir, ~/.dovecot.sieve naming the active one
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, "sieve", "tmp"))
        for name, text in (("a", b"keep;\n"), ("b", SCRIPT), ("broken", b"if {")):
            with open(os.path.join(home, "sieve", name + ".sieve"), "wb") as f:
                f.write(text)
        os.symlink("sieve/b.sieve", os.path.join(home, ".dovecot.sieve"))
        # root reads the user's directory: a symlink there is not followed
        secret = os.path.join(tmp, "root-only")
        with open(secret, "wb") as f:
            f.write(b"discard;\n")
        os.chmod(secret, 0o600)
        os.symlink(secret, os.path.join(home, "sieve", "evil.sieve"))
        r = ctl("sieve", "import", "bob", os.path.join(home, "sieve"))
        assert r.returncode == 1 and b"broken.sieve: line 1" in r.stderr, r
        assert b"active: b" in r.stdout, r
        r = ctl("sieve", "list", "bob")
        assert r.stdout.decode().splitlines() == [
            "a\t-\t6", "b\tactive\t%d" % len(SCRIPT)], r.stdout
        # a Cyrus user's directory: NAME.script, defaultbc -> NAME.bc
        cyrus = os.path.join(tmp, "cyrus")
        os.mkdir(cyrus)
        with open(os.path.join(cyrus, "filters.script"), "wb") as f:
            f.write(SCRIPT)
        with open(os.path.join(cyrus, "filters.bc"), "wb") as f:
            f.write(b"\0bytecode")
        os.symlink("filters.bc", os.path.join(cyrus, "defaultbc"))
        r = ctl("sieve", "import", "alice", cyrus)
        assert r.returncode == 0 and b"active: filters" in r.stdout, r
        assert ctl("sieve", "get", "alice", "filters").stdout == SCRIPT
        r = ctl("sieve", "import", "alice", home + "/sieve", "--active", "a")
        assert r.returncode == 1 and b"active: a" in r.stdout, r
        r = ctl("sieve", "list", "alice")
        assert [l.split("\t")[:2] for l in r.stdout.decode().splitlines()] == [
            ["a", "active"], ["b", "-"], ["filters", "-"], ["other", "-"]], r.stdout
    finally:
        isrv.close()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_schema_7_database_gets_the_sieve_tables():
    import sqlite3
    from test_store_recent import alice_db
    with sieve_store() as st:
        user(st, "alice").close()
        st.stop()
        db = sqlite3.connect(alice_db(st))
        db.executescript("DROP TABLE sieve; DROP TABLE seen; DROP TABLE snooze;"
                         " PRAGMA user_version=7;")
        db.close()
        st.start()
        alice = st.connect("imapd")
        alice.hello(st.key, "alice")
        put(alice, "main", b"keep;")
        alice.call("STORE_SIEVE_ACTIVATE", s("main"))
        lm = st.connect("lmtpd")
        assert program(lm, "alice") == ("main", b"PROGRAM:keep;")
        assert seen(lm, "alice", 1, b"x", 60, 1) == 0
        assert "schema upgraded from version 7 to 8" in st.log_text()


def mbox_exists(c, rcpt, names):
    return c.call("STORE_MBOX_EXISTS", s(rcpt) + u32(len(names))
                  + b"".join(s(n) for n in names))[0]


def test_mbox_exists_answers_names_for_the_delivery_right_only():
    with sieve_store() as st:
        alice = user(st, "alice")
        user(st, "bob")
        alice.call("STORE_MBOX_CREATE", s("Work") + u32(0))
        lm = st.connect("lmtpd")
        names = ["Work", "work", "Missing", "inbox", "Work/", "\x01bad"]
        assert mbox_exists(lm, "alice", names) == 0b1001    # Work, INBOX
        assert mbox_exists(lm, "bob", ["Work", "INBOX"]) == 0b10
        assert mbox_exists(lm, "alice", ["Missing"] * 15 + ["Work"]) == 1 << 15
        for n in (0, 17):
            code, _ = lm.error("STORE_MBOX_EXISTS", s("alice") + u32(n)
                               + s("Work") * n)
            assert code == ERR["MALFORMED"], (n, code)
        code, _ = lm.error("STORE_MBOX_EXISTS", s("nobody") + u32(1)
                           + s("INBOX"))
        assert code == ERR["NOTFOUND"], code
        # a user session, bound or not, does not get the delivery call
        for c in (alice, st.connect("imapd")):
            code, _ = c.error("STORE_MBOX_EXISTS", s("alice") + u32(1)
                              + s("Work"))
            assert code == ERR["UNEXPECTED"], code


def test_deliver_to_makes_its_seen_records_only_with_the_message():
    """The records a delivery carries are made in its transaction: there
    when the message is in, absent when the delivery is refused."""
    with sieve_store() as st:
        user(st, "alice")
        lm = st.connect("lmtpd")
        recs = [(3, h(b"<a@x>"), 3600), (2, h(b"dup-a"), 60)]
        assert deliver_to(lm, "alice", "INBOX", 0, [], recs=recs) == []
        assert seen(lm, "alice", 3, b"<a@x>", 3600, 0) == 1
        assert seen(lm, "alice", 2, b"dup-a", 60, 0) == 1
        # refused (no such mailbox): nothing recorded
        code, _ = deliver_to_error(lm, "alice", "Nowhere", 0, [],
                                   recs=[(3, h(b"<b@x>"), 3600)])
        assert code == ERR["NOTFOUND"], code
        assert seen(lm, "alice", 3, b"<b@x>", 3600, 0) == 0
        k = h(b"k")
        for bad in ([(0, k, 60)], [(3, k[:31], 60)], [(3, k, 0)],
                    [(3, k, 60)] * 18):
            code, _ = deliver_to_error(lm, "alice", "INBOX", 0, [], recs=bad)
            assert code == ERR["MALFORMED"], (bad[:1], code)

