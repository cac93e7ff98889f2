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


def vmail_owns(path):
    """The mail system's user owns path and everything under it: the
    reader of a source runs as its owner, never as root."""
    for d, _, files in os.walk(path):
        shutil.chown(d, "vmail", "vmail")
        for f in files:
            shutil.chown(os.path.join(d, f), "vmail", "vmail")
    shutil.chown(path, "vmail", "vmail")
    return path


def vmail_dir(prefix):
    """A new directory (0700) of the mail system's user; what root writes
    into it later stays readable to that user (0644, 0755)."""
    return vmail_owns(tempfile.mkdtemp(prefix=prefix))


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
    src = vmail_dir("cloister-maildir-")
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
        b"X-Status: AF\nX-Keywords: Work $Label1 bad)kw \\Junk\n\n"
        b"Hello\n>From the start\n>>From quoted twice\n\n"
        b"From bob@example.net Wed Nov 15 11:30:00 2023\n"
        b"From: bob@example.net\nSubject: second\nStatus: O\n\nBye\n\n")


def test_an_mbox_goes_in_with_its_flags_and_dates():
    need_stored()
    d = tempfile.mkdtemp(prefix="cloister-mbox-")
    path = os.path.join(d, "old.mbox")
    with open(path, "wb") as f:
        f.write(MBOX)
    vmail_owns(path)
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
            # state headers out, one '>' off, and CRLF as IMAP carries mail
            assert got[1][2] == (b"From: alice@example.net\r\nSubject: first\r\n"
                                 b"\r\nHello\r\nFrom the start\r\n"
                                 b">From quoted twice\r\n"), got[1][2]
            r = ctl(srv, "import", "alice", path, "--folder", "Old")
            assert r.returncode == 0 and summary(r)[1:3] == (0, 3), r.stdout
            assert status(m, "Old")[2] == 3
            m.logout()
    finally:
        shutil.rmtree(d)


def test_export_then_import_into_another_user_round_trips():
    need_stored()
    src = vmail_dir("cloister-maildir-")
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
            r = ctl(srv, "import", "bob", "maildir:" + vmail_owns(out))
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


DV_CONF = os.path.join(os.environ.get("PEERS_DIR", "/tmp/cloister-peers"),
                       "dovecot", "dovecot.conf")


def peer_listens(path):
    """Whether a unix socket of the peer answers (doveadm needs its
    auth-userdb: the config alone stays behind when the peer is down)."""
    import socket
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(path)
        return True
    except OSError:
        return False
    finally:
        c.close()


def doveadm(location, *args, stdin=None):
    r = subprocess.run(["doveadm", "-c", DV_CONF, "-o",
                        "mail_location=maildir:" + location, "-f", "tab"] +
                       list(args), input=stdin, capture_output=True,
                       timeout=60)
    assert r.returncode == 0, (args, r.stderr)
    return [l.split("\t") for l in r.stdout.decode().splitlines()[1:]]


def test_a_maildir_dovecot_wrote_lists_the_same_on_both_servers():
    """Dovecot (the bench peer's build and configuration, bench/peers)
    writes a Maildir with its own tools; imported, an imaplib listing of
    Cloister agrees with doveadm's view of it: UIDVALIDITY, UIDNEXT,
    UIDs, flags, keywords, received dates."""
    need_stored()
    dv_auth = os.path.join(os.path.dirname(DV_CONF), "run", "auth-userdb")
    if not os.path.exists(DV_CONF) or shutil.which("doveadm") is None or \
            not peer_listens(dv_auth):
        from harness import Skip
        raise Skip("no Dovecot peer running (bench/peers up)")
    d = tempfile.mkdtemp(prefix="cloister-dovecot-")
    shutil.chown(d, "vmail", "vmail")
    loc = os.path.join(d, "Maildir")
    try:
        for i in range(1, 6):
            doveadm(loc, "save", "-u", "bench", stdin=(BODY % (
                "dv %d" % i, str(i))).encode())
        doveadm(loc, "mailbox", "create", "-u", "bench", "-s", "Work.Café")
        doveadm(loc, "save", "-u", "bench", "-m", "Work.Café",
                stdin=(BODY % ("work", "w")).encode())
        doveadm(loc, "flags", "add", "-u", "bench", "\\Seen $Work", "mailbox",
                "INBOX", "uid", "2:3")
        doveadm(loc, "flags", "add", "-u", "bench", "\\Flagged", "mailbox",
                "INBOX", "uid", "3")
        doveadm(loc, "expunge", "-u", "bench", "mailbox", "INBOX", "uid", "4")
        seen = {}
        for box, uid, flags, t in doveadm(loc, "fetch", "-u", "bench",
                                          "mailbox uid flags "
                                          "date.received.unixtime", "all"):
            name = box.replace(".", "/")
            seen.setdefault(name, {})[int(uid)] = (
                set(flags.split()) - {"\\Recent"}, int(t))
        boxes = {b.replace(".", "/"): (int(v), int(n), int(m)) for b, m, n, v in
                 doveadm(loc, "mailbox", "status", "-u", "bench",
                         "messages uidnext uidvalidity", "*")}
        assert sorted(seen["INBOX"]) == [1, 2, 3, 5], seen
        with ImapServer() as srv:
            r = ctl(srv, "import", "alice", "maildir:" + loc)
            assert r.returncode == 0, (r.stdout, r.stderr)
            m = srv.login()
            for name, st in boxes.items():
                imap_name = name.replace("é", "&AOk-")
                assert status(m, imap_name) == st, (name, st)
                got = {uid: v[:2] for uid, v in fetch(m, imap_name).items()}
                assert got == seen[name], (name, got, seen[name])
            lsub = [l.decode() for l in m.lsub('""', "*")[1]]
            assert any(l.endswith('"Work/Caf&AOk-"') for l in lsub), lsub
            m.logout()
    finally:
        shutil.rmtree(d)


def big_maildir(root, n):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub))
    lines = ["3 V1700000001 N%d G00" % (2 * n + 100)]
    for i in range(1, n + 1):
        base = "%d.M%dP1.mx" % (1600000000 + i, i)
        with open(os.path.join(root, "cur", base + ":2,S"), "w") as f:
            f.write(BODY % ("m%d" % i, "x" * (i % 50)))
        lines.append("%d :%s" % (i * 2, base))
    with open(os.path.join(root, "dovecot-uidlist"), "w") as f:
        f.write("\n".join(lines) + "\n")


def test_a_killed_import_resumes_and_a_terminal_sees_progress():
    import pty
    import select
    import signal
    import time
    need_stored()
    n = 3000
    src = vmail_dir("cloister-maildir-")
    try:
        big_maildir(src, n)
        with ImapServer() as srv:
            cmd = [tool("cloisterctl"), "-c", srv.srv.config_path, "import",
                   "alice", src]
            master, slave = pty.openpty()
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave)
            os.close(slave)
            # killed once the terminal shows a batch copied (the store then
            # holds it: the line comes after the store's reply), so the
            # kill cannot fall between the commit and the line
            m = srv.login()
            out = b""

            def read_terminal(wait):
                nonlocal out
                while select.select([master], [], [], wait)[0]:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        return
                    if not chunk:
                        return
                    out += chunk
                    if wait > 0.2 and b"copied" in out:
                        return
            deadline = time.monotonic() + 60
            while b"copied" not in out and time.monotonic() < deadline:
                read_terminal(0.5)
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=30)
            ran = time.monotonic() - t0
            read_terminal(0.2)
            os.close(master)
            held = status(m, "INBOX")[2]
            assert 0 < held < n, held
            # the progress line: rewritten in place on a terminal
            updates = out.count(b"\r\x1b[K")
            assert updates >= 1 and b"copied" in out, out[-300:]
            assert updates <= ran * 10 + 2, (updates, ran)
            # the second run copies only the rest, with the source's UIDs
            r = ctl(srv, "import", "alice", src)
            assert r.returncode == 0, r.stderr
            assert summary(r)[1:3] == (n - held, held), (r.stdout, held)
            assert "\r" not in r.stderr      # not a terminal: no progress
            assert status(m, "INBOX") == (1700000001, 2 * n + 100, n), \
                status(m, "INBOX")
            m.select("INBOX", readonly=True)
            typ, data = m.uid("SEARCH", "ALL")
            assert [int(x) for x in data[0].split()] == \
                list(range(2, 2 * n + 1, 2))
            m.logout()
    finally:
        shutil.rmtree(src)


def test_a_plain_maildir_without_uidlist_goes_in_once():
    """Maildir++ as any delivery agent writes it: no dovecot-uidlist, so
    the store picks UIDVALIDITY and UIDs (in file name order, that is
    delivery order); a second run knows the messages by their content."""
    need_stored()
    src = vmail_dir("cloister-maildir-")
    try:
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(src, ".Lists", sub))
            os.makedirs(os.path.join(src, sub))
        files = [("cur", "1700000002.M1P1.mx:2,RS", "b"),
                 ("new", "1700000001.M2P1.mx", "a"),
                 ("cur", "1700000003.M3P1.mx:2,", "c")]
        for sub, name, subj in files:
            p = os.path.join(src, ".Lists", sub, name)
            with open(p, "w") as f:
                f.write(BODY % (subj, subj))
            os.utime(p, (1700000000, 1700000000))
        with ImapServer() as srv:
            r = ctl(srv, "import", "alice", src, "--no-progress")
            assert r.returncode == 0 and summary(r)[1:3] == (3, 0), \
                (r.stdout, r.stderr)
            m = srv.login()
            got = fetch(m, "Lists")
            assert sorted(got) == [1, 2, 3], got
            assert [got[u][2].split(b"Subject: ")[1][:1] for u in (1, 2, 3)] \
                == [b"a", b"b", b"c"], got
            assert got[2][0] == {"\\Seen", "\\Answered"}
            before = status(m, "Lists")
            r = ctl(srv, "import", "alice", src)
            assert r.returncode == 0 and summary(r)[1:3] == (0, 3), r.stdout
            assert status(m, "Lists") == before
            m.logout()
    finally:
        shutil.rmtree(src)


def test_mail_that_reached_both_servers_meanwhile_is_not_lost():
    """After a first import the route moves: mail lands here (taking the
    next UIDs) while a straggler lands at the old server under the same
    UID. The next import gives the straggler a new UID instead of taking
    it for the message this server holds under that UID."""
    need_stored()
    src = vmail_dir("cloister-maildir-")
    try:
        dovecot_maildir(src)
        with ImapServer() as srv:
            assert ctl(srv, "import", "alice", src).returncode == 0
            m = srv.login()
            assert status(m, "INBOX")[1:] == (41, 4)
            typ, _ = m.append("INBOX", None, None,
                              (BODY % ("here", "arrived here")).encode())
            assert typ == "OK"
            # the old server's straggler, UID 41 there too
            write_folder(src, 1500000001, 42, [
                (41, "1700000500.M9P1.mx", "", 1700000500,
                 BODY % ("straggler", "arrived there"))])
            with open(os.path.join(src, "dovecot-uidlist"), "a") as f:
                f.write("3 :1700000003.M1P1.mx,S=60\n7 :1700000007.M2P1.mx,S=60\n"
                        "12 :1700000012.M3P1.mx,S=60\n")
            r = ctl(srv, "import", "alice", src)
            assert r.returncode == 0, r.stderr
            assert summary(r)[1] == 1, r.stdout
            inbox = fetch(m, "INBOX")
            subjects = {uid: v[2].split(b"Subject: ")[1].split(b"\r\n")[0]
                        for uid, v in inbox.items()}
            assert subjects[41] == b"here" and subjects[42] == b"straggler", \
                subjects
            assert len(inbox) == 6 and status(m, "INBOX")[0] == 1500000001
            m.logout()
    finally:
        shutil.rmtree(src)


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def socket_inodes(pid):
    out = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:"):
            out.add(t)
    return out


def reader_of(p, deadline):
    """The reader child of the cloisterctl process p, once it is confined
    (the seccomp filter is its last step): (pid, its /proc/PID/status)."""
    import time
    child = None
    while child is None and time.monotonic() < deadline:
        with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
            kids = f.read().split()
        child = int(kids[0]) if kids else None
        if child is None:
            time.sleep(0.005)
    assert child is not None, "no reader child"
    while proc_status(child)["Seccomp"].strip() != "2" and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    return child, proc_status(child)


def test_the_reader_child_is_confined_and_holds_no_admin_channel():
    """While an import runs, its reader child (the process that parses the
    mail) is shut in the source as the source owner's uid and gid, has no
    capability, no_new_privs, a seccomp filter, an empty network namespace
    of its own, /dev/null as its input, and no socket of the parent's: not
    the admin channel."""
    import pwd
    import time
    need_stored()
    src = vmail_dir("cloister-maildir-")
    try:
        big_maildir(src, 1500)
        vmail_owns(src)
        with ImapServer() as srv:
            p = subprocess.Popen([tool("cloisterctl"), "-c", srv.srv.config_path,
                                  "import", "alice", src], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            child, st = reader_of(p, time.monotonic() + 30)
            root = os.readlink("/proc/%d/root" % child)
            stdin = os.readlink("/proc/%d/fd/0" % child)
            with open("/proc/%d/limits" % child) as f:
                limits = {l[:26].strip(): l[26:].split()[:2] for l in f}
            net = os.readlink("/proc/%d/ns/net" % child)
            parent_net = os.readlink("/proc/%d/ns/net" % p.pid)
            mine = socket_inodes(child)
            parents = socket_inodes(p.pid)
            out, err = p.communicate(timeout=120)
            vmail = pwd.getpwnam("vmail")
            assert root == src, (root, src)
            assert stdin == "/dev/null", stdin     # not the admin's terminal
            # import-local.policy's: no fork, no core, the batch memfd only
            for name, want in (("Max processes", "0"), ("Max core file size", "0"),
                               ("Max file size", str(300 << 20)),
                               ("Max open files", "16")):
                assert limits[name] == [want, want], (name, limits[name])
            assert st["NoNewPrivs"].strip() == "1", st
            assert st["Seccomp"].strip() == "2", st
            for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                assert int(st[caps], 16) == 0, (caps, st[caps])
            assert st["Uid"].split() == [str(vmail.pw_uid)] * 4, st["Uid"]
            assert st["Gid"].split() == [str(vmail.pw_gid)] * 4, st["Gid"]
            assert st["Groups"].split() == [], st["Groups"]
            assert net != os.readlink("/proc/self/ns/net"), net
            assert net != parent_net, net
            assert mine and not (mine & parents), (mine, parents)
            assert p.returncode == 0, err
    finally:
        shutil.rmtree(src)
