"""cloisterctl import, end to end (cloisterd, authd, stored, imapd): a
Dovecot Maildir built here (dovecot-uidlist v3, dovecot-keywords, Maildir++
folders with modified UTF-7 names, a subscriptions file, files without a
UID) goes in with its UIDVALIDITY, UIDs, flags, keywords and internal
dates, as an imaplib client sees them; a second run copies nothing; a
mailbox with another UIDVALIDITY is refused unless
--force-new-uidvalidity; an mbox file goes in with its Status/X-Status/
X-Keywords flags and From_ dates, >From lines unquoted."""
import email.utils
import os
import re
import shutil
import subprocess
import tempfile

from harness import tool
from imap_util import ImapServer, need_stored

BODY = ("From: a@example.net\r\nTo: alice@example.org\r\nSubject: %s\r\n"
        "Date: Tue, 14 Nov 2023 10:00:00 +0000\r\n\r\n%s body\r\n")


def write_folder(path, uidv, nextuid, msgs, keywords=()):
    """msgs: (uid or None, name, info, mtime, body); uid None = not in the
    uidlist (a file Dovecot has not seen yet)."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    lines = ["3 V%d N%d G0123456789abcdef" % (uidv, nextuid)]
    for uid, name, info, mtime, body in msgs:
        sub = "cur" if info is not None else "new"
        fn = os.path.join(path, sub, name + (":2," + info if info is not None
                                             else ""))
        with open(fn, "wb") as f:
            f.write(body.encode())
        os.utime(fn, (mtime, mtime))
        if uid is not None:
            lines.append("%d W%d :%s" % (uid, len(body) + 3, name))
    with open(os.path.join(path, "dovecot-uidlist"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if keywords:
        with open(os.path.join(path, "dovecot-keywords"), "w") as f:
            f.write("".join("%d %s\n" % (i, k) for i, k in enumerate(keywords)))


def dovecot_maildir(root):
    write_folder(root, 1500000001, 40, [
        (3, "1700000003.M1P1.mx,S=60", "S", 1700000003, BODY % ("one", "1")),
        (7, "1700000007.M2P1.mx,S=60", "RSab", 1700000007, BODY % ("two", "2")),
        (12, "1700000012.M3P1.mx,S=60", "FT", 1700000012, BODY % ("three", "3")),
        (None, "1700000100.M4P1.mx", None, 1700000100, BODY % ("new", "4")),
    ], keywords=("$Forwarded", "Work"))
    write_folder(os.path.join(root, ".Sent"), 1500000002, 3, [
        (1, "1700000200.M5P1.mx", "S", 1700000200, BODY % ("sent", "5")),
        (2, "1700000201.M6P1.mx", "DS", 1700000201, BODY % ("draft", "6")),
    ])
    # "Archive/Café" as Dovecot names it on disk
    write_folder(os.path.join(root, ".Archive.Caf&AOk-"), 1500000003, 9, [
        (8, "1600000000.M7P1.mx", "Sc", 1600000000, BODY % ("old", "7")),
    ], keywords=("a", "b", "Old"))
    write_folder(os.path.join(root, ".Archive"), 1500000004, 1, [])
    write_folder(os.path.join(root, ".Lists"), 1500000005, 1, [])
    with open(os.path.join(root, "subscriptions"), "w") as f:
        f.write("V\t2\n\nSent\nArchive\tCaf&AOk-\n")


def ctl(srv, *args):
    return subprocess.run([tool("cloisterctl"), "-c", srv.srv.config_path] +
                          list(args), capture_output=True, text=True,
                          timeout=120)


def summary(r):
    m = re.search(r"(\d+) folders, (\d+) copied, (\d+) skipped, (\d+) bytes",
                  r.stdout)
    assert m, (r.returncode, r.stdout, r.stderr)
    return tuple(int(x) for x in m.groups())


def status(m, box):
    typ, data = m.status('"%s"' % box, "(UIDVALIDITY UIDNEXT MESSAGES)")
    assert typ == "OK", data
    v = dict(re.findall(rb"(UIDVALIDITY|UIDNEXT|MESSAGES) (\d+)", data[0]))
    return int(v[b"UIDVALIDITY"]), int(v[b"UIDNEXT"]), int(v[b"MESSAGES"])


def fetch(m, box):
    """{uid: (set of flags, internal date as unix seconds, body bytes)}"""
    typ, _ = m.select('"%s"' % box, readonly=True)
    assert typ == "OK"
    typ, data = m.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
    assert typ == "OK", data
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode()
        uid = int(re.search(r"UID (\d+)", head).group(1))
        flags = set(re.search(r"FLAGS \(([^)]*)\)", head).group(1).split())
        flags.discard("\\Recent")
        date = re.search(r'INTERNALDATE "([^"]+)"', head).group(1)
        t = email.utils.parsedate_to_datetime(
            re.sub(r"^(\d+)-(\w+)-(\d+)", r"\1 \2 \3", date)).timestamp()
        out[uid] = (flags, int(t), item[1])
    return out


def test_a_dovecot_maildir_goes_in_with_its_uids_and_a_second_run_copies_nothing():
    need_stored()
    src = tempfile.mkdtemp(prefix="cloister-maildir-")
    try:
        dovecot_maildir(src)
        with ImapServer() as srv:
            r = ctl(srv, "import", "alice", "maildir:" + src)
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert summary(r)[:3] == (5, 7, 0), r.stdout
            m = srv.login()
            # UIDVALIDITY and UIDs as Dovecot had them; the file without a
            # UID comes after the source's UIDNEXT
            assert status(m, "INBOX") == (1500000001, 41, 4), status(m, "INBOX")
            inbox = fetch(m, "INBOX")
            assert sorted(inbox) == [3, 7, 12, 40], inbox.keys()
            assert inbox[3][:2] == ({"\\Seen"}, 1700000003)
            assert inbox[7][:2] == ({"\\Seen", "\\Answered", "$Forwarded",
                                     "Work"}, 1700000007)
            assert inbox[12][:2] == ({"\\Flagged", "\\Deleted"}, 1700000012)
            assert inbox[40][:2] == (set(), 1700000100)
            assert inbox[7][2] == (BODY % ("two", "2")).encode()
            assert status(m, "Sent") == (1500000002, 3, 2)
            assert fetch(m, "Sent")[2][0] == {"\\Seen", "\\Draft"}
            assert status(m, "Archive/Caf&AOk-") == (1500000003, 9, 1)
            assert fetch(m, "Archive/Caf&AOk-")[8][0] == {"\\Seen", "Old"}
            # special use from the name; subscriptions from the file
            typ, lst = m.list('""', "*")
            sent = [l for l in lst if l.endswith(b'"Sent"')]
            assert sent and b"\\Sent" in sent[0], lst
            typ, lsub = m.lsub('""', "*")
            names = sorted(l.decode().rsplit(" ", 1)[1].strip('"') for l in lsub)
            assert "Sent" in names and "Archive/Caf&AOk-" in names and \
                "Lists" not in names, names
            assert status(m, "Lists") == (1500000005, 1, 0)
            before = {b: fetch(m, b) for b in ("INBOX", "Sent")}
            # the second run: nothing copied, nothing changed
            r = ctl(srv, "import", "alice", src)
            assert r.returncode == 0, r.stderr
            assert summary(r)[:3] == (5, 0, 7), r.stdout
            assert status(m, "INBOX") == (1500000001, 41, 4)
            assert {b: fetch(m, b) for b in ("INBOX", "Sent")} == before
            # the source's INBOX re-created (another UIDVALIDITY): refused
            with open(os.path.join(src, "dovecot-uidlist"), "r+") as f:
                text = f.read().replace("V1500000001", "V1600000009")
                f.seek(0)
                f.write(text)
            r = ctl(srv, "import", "alice", src)
            assert r.returncode == 1, (r.stdout, r.stderr)
            assert "UIDVALIDITY 1500000001" in r.stderr and \
                "--force-new-uidvalidity" in r.stderr, r.stderr
            assert status(m, "INBOX") == (1500000001, 41, 4)
            # forced: the folder keeps its UIDs; the same messages are
            # known by their content and not copied twice
            r = ctl(srv, "import", "alice", src, "--force-new-uidvalidity")
            assert r.returncode == 0, r.stderr
            assert summary(r)[1] == 0, r.stdout
            assert status(m, "INBOX") == (1500000001, 41, 4)
            m.logout()
    finally:
        shutil.rmtree(src)


MBOX = (b"From MAILER-DAEMON Fri Jan  1 00:00:00 1999\n"
        b"Subject: preamble\n\n"
        b"From alice@example.net Tue Nov 14 10:00:00 2023\n"
        b"From: alice@example.net\nSubject: first\nStatus: RO\n"
        b"X-Status: AF\nX-Keywords: Work $Label1\n\n"
        b"Hello\n>From the start\n>>From quoted twice\n\n"
        b"From bob@example.net Wed Nov 15 11:30:00 2023\n"
        b"From: bob@example.net\nSubject: second\nStatus: O\n\nBye\n\n")


def test_an_mbox_goes_in_with_its_flags_and_dates():
    need_stored()
    d = tempfile.mkdtemp(prefix="cloister-mbox-")
    path = os.path.join(d, "old.mbox")
    with open(path, "wb") as f:
        f.write(MBOX)
    try:
        with ImapServer() as srv:
            r = ctl(srv, "import", "alice", "mbox:" + path, "--folder", "Old")
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert summary(r)[:3] == (1, 3, 0), r.stdout
            m = srv.login()
            got = sorted(fetch(m, "Old").values(), key=lambda v: v[1])
            assert [g[1] for g in got] == [915148800, 1699956000, 1700047800], got
            assert got[1][0] == {"\\Seen", "\\Answered", "\\Flagged", "Work",
                                 "$Label1"}, got[1][0]
            assert got[2][0] == set(), got[2][0]
            assert got[1][2] == (b"From: alice@example.net\r\nSubject: first\r\n"
                                 b"\r\nHello\r\nFrom the start\r\n"
                                 b">From quoted twice\r\n") or \
                got[1][2] == (b"From: alice@example.net\nSubject: first\n\n"
                              b"Hello\nFrom the start\n>From quoted twice\n"), got[1][2]
            r = ctl(srv, "import", "alice", path, "--folder", "Old")
            assert r.returncode == 0 and summary(r)[1:3] == (0, 3), r.stdout
            assert status(m, "Old")[2] == 3
            m.logout()
    finally:
        shutil.rmtree(d)


def test_export_then_import_into_another_user_round_trips():
    need_stored()
    src = tempfile.mkdtemp(prefix="cloister-maildir-")
    out = os.path.join(tempfile.mkdtemp(prefix="cloister-export-"), "alice")
    try:
        dovecot_maildir(src)
        users = {"alice": "wonderland", "bob": "builder"}
        with ImapServer(users=users) as srv:
            assert ctl(srv, "import", "alice", src).returncode == 0
            r = ctl(srv, "export", "alice", out)
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert "7 messages" in r.stdout, r.stdout
            # what Dovecot would read: a uidlist with the UIDVALIDITY
            with open(os.path.join(out, "dovecot-uidlist")) as f:
                assert f.readline().startswith("3 V1500000001 N41 ")
            assert os.path.isdir(os.path.join(out, ".Archive.Caf&AOk-", "cur"))
            # an export never writes into what is there
            assert ctl(srv, "export", "alice", out).returncode == 1
            r = ctl(srv, "import", "bob", "maildir:" + out)
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert summary(r)[1] == 7, r.stdout
            a, b = srv.login("alice"), srv.login("bob")
            for box in ("INBOX", "Sent", "Archive/Caf&AOk-", "Lists"):
                assert status(a, box) == status(b, box), box
                assert fetch(a, box) == fetch(b, box), box
            la = sorted(a.lsub('""', "*")[1])
            assert la == sorted(b.lsub('""', "*")[1]), la
            a.logout()
            b.logout()
    finally:
        shutil.rmtree(src)
        shutil.rmtree(os.path.dirname(out))
