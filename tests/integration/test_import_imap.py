"""The IMAP import source (ctl/import_imap.c) against a real Cloister
server started by the harness (imap_util.ImapServer), through the test
tool cloister-import-imap-dump, whose sink prints what it is handed.
Messages with flags, keywords, internal dates, 8-bit bodies and UID gaps
are put in over imaplib; the import must hand over the same folders
(UIDVALIDITY, special use, subscriptions), the same UIDs, flags, keywords,
dates and byte-identical bodies; a second run fetches nothing; cloisterctl
import copies it all into another Cloister server. The transport rules
are checked too: the certificate is verified unless told otherwise,
STARTTLS and implicit TLS, plaintext only when asked. A hostile server is
test_import_imap_hostile.py's."""
import base64
import contextlib
import datetime
import hashlib
import imaplib
import os
import re
import subprocess
import tempfile

from harness import tool
from imap_util import ImapServer, need_stored

USERS = {"alice": "wonderland"}
FLAG_BITS = {"\\seen": 1, "\\answered": 2, "\\flagged": 4, "\\deleted": 8,
             "\\draft": 16}
USE_BITS = {"\\archive": 1, "\\drafts": 2, "\\junk": 4, "\\sent": 8,
            "\\trash": 16, "\\all": 32, "\\flagged": 64, "\\important": 128}


# ---- the server's side, over imaplib ----------------------------------------

def mutf7(name):
    """UTF-8 -> IMAP modified UTF-7 (RFC 3501 5.1.3)."""
    out, run = [], ""

    def flush():
        if run:
            b64 = base64.b64encode(run.encode("utf-16-be")).decode()
            out.append("&" + b64.rstrip("=").replace("/", ",") + "-")
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            run = ""
            out.append("&-" if ch == "&" else ch)
        else:
            run += ch
    flush()
    return "".join(out)


def q(name):
    return '"' + mutf7(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def message(i, size=0):
    """A message with an 8-bit body, CRLF line ends and a tail to size."""
    body = ("Grüße #%d\r\n" % i).encode("utf-8") + bytes(range(128, 256))
    body += b"\r\n" + b"x" * max(0, size) + b"\r\n"
    head = ("From: Ann <ann@example.org>\r\nTo: b@example.org\r\n"
            "Subject: import %d\r\nMessage-ID: <imp%d@example.org>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" % (i, i)).encode()
    return head + body


def internaldate(when):
    return '"' + when.strftime("%d-%b-%Y %H:%M:%S %z") + '"'


def fill(m, folders, delim):
    """Put folders' messages in: {name: [(flags, when, bytes)]}; a message
    whose flags hold "expunge" is appended and expunged (a UID gap)."""
    for name, msgs in folders.items():
        wire = name.replace("/", delim)
        if name != "INBOX":
            m.create(q(wire))
        for flags, when, data in msgs:
            typ, _ = m.append(q(wire), "(%s)" % " ".join(
                f for f in flags if f != "expunge"), internaldate(when), data)
            assert typ == "OK", (name, typ)
        gone = [i for i, (f, _w, _d) in enumerate(msgs) if "expunge" in f]
        if gone:
            m.select(q(wire))
            for i in gone:
                m.store(str(i + 1), "+FLAGS.SILENT", "(\\Deleted)")
            m.expunge()
            m.close()


def folder_view(m, wire):
    """(uidvalidity, {uid: (flags, keywords, date, len, sha256)})."""
    typ, _ = m.select(q(wire), readonly=True)
    assert typ == "OK", wire
    uidvalidity = int(m.response("UIDVALIDITY")[1][0])
    out = {}
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE)")
    for line in data:
        line = line[0] if isinstance(line, tuple) else line
        uid = line and re.search(rb"UID (\d+)", line)
        if not uid:
            continue
        names = re.search(rb"FLAGS \(([^)]*)\)", line).group(1).decode().split()
        date = re.search(rb'INTERNALDATE "([^"]+)"', line).group(1).decode()
        bits = sum(FLAG_BITS.get(f.lower(), 0) for f in names)
        kws = frozenset(f for f in names if not f.startswith("\\"))
        when = datetime.datetime.strptime(date.strip(), "%d-%b-%Y %H:%M:%S %z")
        out[int(uid.group(1))] = [bits, kws, int(when.timestamp())]
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            out[uid] += [len(item[1]), hashlib.sha256(item[1]).hexdigest()]
    m.close()
    return uidvalidity, {u: tuple(v) for u, v in out.items()}


def list_view(m):
    """{wire name: (delimiter, attributes)} and the subscribed names."""
    typ, data = m.list()
    boxes = {}
    for line in data:
        mm = re.match(rb'\(([^)]*)\) (?:"(.)"|NIL) (.*)$', line)
        name = mm.group(3).decode()
        if name.startswith('"'):
            name = name[1:-1]
        boxes[name] = (mm.group(2).decode() if mm.group(2) else "",
                       mm.group(1).decode().lower().split())
    typ, data = m.lsub()
    subs = set()
    for line in data:
        name = re.match(rb'\([^)]*\) (?:"."|NIL) (.*)$', line).group(1).decode()
        subs.add(name[1:-1] if name.startswith('"') else name)
    return boxes, subs


# ---- the import's side ----------------------------------------------------------

def run_dump(url, password, *args, timeout=300):
    r = subprocess.run([tool("cloister-import-imap-dump")] + list(args) + [url],
                       input=password + "\n", capture_output=True, text=True,
                       timeout=timeout)
    folders, msgs, done, cur = {}, {}, None, None
    for line in r.stdout.splitlines():
        f = line.split(" ")
        if f[0] == "FOLDER":
            cur = " ".join(f[1:-4])
            folders[cur] = (int(f[-4]), int(f[-3]), int(f[-2]), f[-1] == "1")
            msgs[cur] = {}
        elif f[0] == "MSG":
            kws = frozenset() if f[3] == "-" else frozenset(f[3].split(","))
            msgs[cur][int(f[1])] = (int(f[2]), kws, int(f[4]), int(f[5]), f[6])
        elif f[0] == "DONE":
            done = dict(zip(("rc", "folders", "messages", "bytes", "present",
                             "too_big", "vanished"), map(int, f[1:])))
    return r, folders, msgs, done


def compare(m, names, folders, msgs, delim):
    """The import saw what the server holds, folder by folder."""
    boxes, subs = list_view(m)
    for name in names:
        wire = mutf7(name.replace("/", delim))
        assert name in folders, (name, sorted(folders))
        uidvalidity, view = folder_view(m, name.replace("/", delim))
        assert folders[name][0] == uidvalidity, name
        assert msgs[name] == view, (name, msgs[name], view)
        use = sum(USE_BITS.get(a, 0) for a in boxes[wire][1]
                  if a != "\\flagged" or False)
        assert folders[name][2] == use, (name, folders[name], boxes[wire])
        assert folders[name][3] == (wire in subs), (name, subs)


def when(days, tz_hours):
    tz = datetime.timezone(datetime.timedelta(hours=tz_hours))
    return datetime.datetime(2021, 3, 1, 12, 34, 56, tzinfo=tz) + \
        datetime.timedelta(days=days)


CONTENT = {
    "INBOX": [(["\\Seen"], when(0, 2), message(1)),
              (["\\Flagged", "$Label1", "Project_X"], when(1, -5), message(2)),
              ([], when(2, 0), message(3, 300000)),
              (["expunge"], when(3, 0), message(4)),
              (["\\Answered", "\\Draft", "$Label1"], when(4, 9), message(5))],
    "Work": [(["\\Deleted"], when(5, 1), message(6)),
             (["\\Seen", "Urgent"], when(6, 1), message(7))],
    "Projekte/Überblick": [(["\\Seen", "$Label2"], when(7, 3), message(8))],
}


def delimiter(m):
    typ, data = m.list('""', '""')
    mm = re.match(rb'\([^)]*\) "(.)"', data[0])
    return mm.group(1).decode() if mm else "/"


def test_import_from_cloister_keeps_everything_and_a_second_run_copies_nothing():
    if not need_stored():
        return
    with ImapServer(USERS) as srv, tempfile.TemporaryDirectory() as d:
        m = srv.login("alice", kind="tls")
        delim = delimiter(m)
        fill(m, CONTENT, delim)
        m.subscribe(q("Work"))
        state = os.path.join(d, "state")
        url = "imaps://alice@127.0.0.1:%d" % srv.port("imaps")
        r, folders, msgs, done = run_dump(url, "wonderland", "--ca-file",
                                          srv.cert, "--state", state,
                                          "--batch", "2")
        assert r.returncode == 0 and done["rc"] == 0, r.stderr
        boxes, _subs = list_view(m)
        names = [n for n in folders]
        assert set(CONTENT) <= set(names), names
        assert len(names) == len([b for b, (_d, a) in boxes.items()
                                  if "\\noselect" not in a]), (names, boxes)
        compare(m, names, folders, msgs, delim)
        total = sum(len(v) for v in msgs.values())
        assert total == sum(len(v) for v in CONTENT.values()) - 1
        assert done["messages"] == total and done["present"] == 0
        # a second run asks the sink and fetches no body
        r, folders2, msgs2, done = run_dump(url, "wonderland", "--ca-file",
                                            srv.cert, "--state", state)
        assert r.returncode == 0, r.stderr
        assert folders2 == folders
        assert sum(len(v) for v in msgs2.values()) == 0, msgs2
        assert done["present"] == total and done["bytes"] == 0, done
        # a message over --max-message stays behind, named; exit status 1
        r, _f, msgs3, done = run_dump(url, "wonderland", "--ca-file",
                                      srv.cert, "--max-message", "100000")
        assert r.returncode == 1 and done["too_big"] == 1, (r.stderr, done)
        assert 3 not in msgs3["INBOX"] and 5 in msgs3["INBOX"], msgs3["INBOX"]
        assert "UID 3: 300" in r.stderr, r.stderr
        m.logout()


# ---- transport: certificates, STARTTLS, plaintext ---------------------------------

def test_certificate_verified_unless_insecure_and_starttls_works():
    if not need_stored():
        return
    with ImapServer(USERS) as srv:
        url = "imaps://alice@127.0.0.1:%d" % srv.port("imaps")
        r, _f, _m, done = run_dump(url, "wonderland")   # system CAs only
        assert r.returncode == 1 and "certificate" in r.stderr, r.stderr
        assert done["messages"] == 0
        # a certificate for another name is refused too
        r, *_ = run_dump("imaps://alice@localhost:%d" % srv.port("imaps"),
                         "wonderland", "--ca-file", srv.cert)
        assert r.returncode == 0, r.stderr      # SAN DNS:localhost
        other = tempfile.mkdtemp(prefix="cloister-othercert-")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        other + "/k", "-out", other + "/c", "-days", "2",
                        "-subj", "/CN=elsewhere"], capture_output=True,
                       check=True, timeout=60)
        r, *_ = run_dump(url, "wonderland", "--ca-file", other + "/c")
        assert r.returncode == 1 and "certificate" in r.stderr, r.stderr
        subprocess.run(["rm", "-rf", other])
        r, folders, _m, done = run_dump(url, "wonderland", "--insecure")
        assert r.returncode == 0 and "INBOX" in folders, r.stderr
        # STARTTLS on the imap port, verified
        r, folders, _m, _d = run_dump("imap://alice@localhost:%d" %
                                      srv.port("imap"), "wonderland",
                                      "--ca-file", srv.cert)
        assert r.returncode == 0 and "INBOX" in folders, r.stderr
        # a wrong password: refused, nothing handed on
        r, folders, _m, _d = run_dump(url, "nope", "--insecure")
        assert r.returncode == 1 and folders == {}, r.stdout


def test_plaintext_only_when_asked():
    if not need_stored():
        return
    with ImapServer(USERS) as srv:
        url = "imap://alice@127.0.0.1:%d" % srv.port("plain")
        r, folders, _m, _d = run_dump(url, "wonderland", "--plaintext")
        assert r.returncode == 0 and "INBOX" in folders, r.stderr
        # without the flag imap:// means STARTTLS, which a plain listener
        # lacks: no login in clear
        r, folders, _m, _d = run_dump(url, "wonderland")
        assert r.returncode == 1 and folders == {}, r.stdout
        assert "STARTTLS" in r.stderr, r.stderr

# ---- cloisterctl import imaps://... ---------------------------------------------------

def ctl_import(dst, user, url, password, *args):
    return subprocess.run([tool("cloisterctl"), "-c", dst.srv.config_path,
                           "import", user, url, "--no-progress"] + list(args),
                          input=password + "\n", capture_output=True,
                          text=True, timeout=300)


@contextlib.contextmanager
def source_and_target():
    """Two Cloister servers: alice's CONTENT on the source (an imaplib
    session, its separator, its imaps:// URL) and an empty bob on the
    target."""
    with ImapServer(USERS) as src, ImapServer({"bob": "builder"}) as dst:
        m = src.login("alice", kind="tls")
        delim = delimiter(m)
        fill(m, CONTENT, delim)
        yield src, dst, m, delim, "imaps://alice@localhost:%d" % src.port("imaps")
        m.logout()


def test_cloisterctl_imports_from_another_cloister_server():
    """One Cloister server's alice into another's bob: every folder with
    its UIDVALIDITY, the same UIDs, flags, keywords, dates and bytes as
    imaplib sees them on both; a second run copies nothing."""
    if not need_stored():
        return
    with source_and_target() as (src, dst, m, delim, url):
        r = ctl_import(dst, "bob", url, "wonderland", "--ca-file", src.cert)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert re.search(r" 7 copied, 0 skipped", r.stdout), r.stdout
        t = dst.login("bob", kind="tls")
        for name in CONTENT:
            wire = name.replace("/", delim)
            assert folder_view(t, wire) == folder_view(m, wire), name
        r = ctl_import(dst, "bob", url, "wonderland", "--ca-file", src.cert)
        assert r.returncode == 0 and " 0 copied" in r.stdout, r.stdout
        # no certificate check passed: refused before any login
        r = ctl_import(dst, "bob", url, "wonderland")
        assert r.returncode == 1 and "certificate" in r.stderr, r.stderr
        t.logout()

def test_cloisterctl_import_under_a_folder():
    """--folder Old: INBOX goes into Old, Work into Old/Work, as with a
    Maildir source; nothing takes a special use from the old server."""
    if not need_stored():
        return
    with source_and_target() as (src, dst, m, delim, url):
        r = ctl_import(dst, "bob", url, "wonderland", "--ca-file", src.cert,
                       "--folder", "Old")
        assert r.returncode == 0, (r.stdout, r.stderr)
        t = dst.login("bob", kind="tls")
        tdelim = delimiter(t)
        for name in CONTENT:
            there = "Old" if name == "INBOX" else "Old/" + name
            assert folder_view(t, there.replace("/", tdelim)) == \
                folder_view(m, name.replace("/", delim)), name
        boxes, _subs = list_view(t)
        assert boxes[mutf7("Old" + tdelim + "Sent")][1] == \
            [a for a in boxes[mutf7("Old" + tdelim + "Sent")][1]
             if a not in USE_BITS], boxes
        t.logout()
