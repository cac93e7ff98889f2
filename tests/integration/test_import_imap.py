"""The IMAP import source (ctl/import_imap.c) against a real Cloister
server started by the harness (imap_util.ImapServer), through the test
tool cloister-import-imap-dump, whose sink prints what it is handed.
Messages with flags, keywords, internal dates, 8-bit bodies and UID gaps
are put in over imaplib; the import must hand over the same folders
(UIDVALIDITY, special use, subscriptions), the same UIDs, flags, keywords,
dates and byte-identical bodies; a second run fetches nothing. The
transport rules are checked too: the certificate is verified unless told
otherwise, STARTTLS and implicit TLS, plaintext only when asked and only
to loopback, and a hostile server (STARTTLS response injection, an
oversized literal, a body nobody asked for) is refused."""
import base64
import contextlib
import grp
import datetime
import hashlib
import imaplib
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

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


# ---- a hostile server ---------------------------------------------------------------

class FakeServer:
    """One scripted IMAP session on 127.0.0.1: the greeting, then for each
    command line the reply of the first (regex, reply) that matches, with
    {tag} filled in; every line received is kept."""

    def __init__(self, greeting, replies):
        self.greeting, self.replies, self.seen = greeting, replies, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        c.settimeout(20)
        c.sendall(self.greeting)
        buf = b""
        try:
            for _ in range(200):
                while b"\r\n" not in buf:
                    chunk = c.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                line, buf = buf.split(b"\r\n", 1)
                self.seen.append(line)
                tag, _, cmd = line.decode("latin-1").partition(" ")
                for rx, reply in self.replies:
                    if re.match(rx, cmd, re.I):
                        c.sendall(reply.replace(b"{tag}", tag.encode()))
                        break
                else:
                    c.sendall(tag.encode() + b" BAD unknown\r\n")
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()
        self.thread.join(timeout=30)


LOGGED_IN = [
    (r"AUTHENTICATE PLAIN", b"{tag} OK logged in\r\n"),
    (r"CAPABILITY", b"* CAPABILITY IMAP4rev1\r\n{tag} OK\r\n"),
    (r"LIST", b'* LIST () "/" INBOX\r\n{tag} OK\r\n'),
    (r"LSUB", b"{tag} OK\r\n"),
    (r"EXAMINE", b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n{tag} OK\r\n"),
    (r"FETCH 1:1", b'* 1 FETCH (UID 3 FLAGS (\\Seen) INTERNALDATE'
     b' "01-Jan-2020 00:00:00 +0000" RFC822.SIZE 10)\r\n{tag} OK\r\n'),
]
GREETING = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake\r\n"


def fake_import(replies, *args, greeting=GREETING, plaintext=True):
    srv = FakeServer(greeting, replies)
    flags = ["--plaintext"] if plaintext else ["--insecure"]
    try:
        r, folders, msgs, done = run_dump("imap://u@127.0.0.1:%d" % srv.port,
                                          "secret-pw", *flags, *args,
                                          timeout=60)
    finally:
        srv.close()
    return r, folders, msgs, done, srv.seen


def test_fake_server_a_sane_session_imports():
    """The scripted server answers well: the message arrives (the other
    hostile cases below differ from this one in one reply)."""
    r, folders, msgs, _d, seen = fake_import(LOGGED_IN + [
        (r"UID FETCH 3 BODY", b"* 1 FETCH (UID 3 BODY[] {10}\r\n0123456789)"
         b"\r\n{tag} OK\r\n")])
    assert r.returncode == 0, r.stderr
    assert folders["INBOX"][0] == 7
    assert msgs["INBOX"][3][0] == 1 and msgs["INBOX"][3][3] == 10
    # PLAIN with SASL-IR: "\0u\0secret-pw"
    assert any(base64.b64encode(b"\0u\0secret-pw") in l for l in seen), seen


def test_fake_server_oversized_literal_refused():
    r, _f, msgs, _d, _s = fake_import(LOGGED_IN + [
        (r"UID FETCH 3 BODY", b"* 1 FETCH (UID 3 BODY[] {99999999}\r\n")],
        "--max-message", "1000")
    assert r.returncode == 1 and "size limit" in r.stderr, r.stderr
    assert msgs["INBOX"] == {}


def test_fake_server_body_not_asked_for_refused():
    r, _f, msgs, _d, _s = fake_import(LOGGED_IN + [
        (r"UID FETCH 3 BODY", b"* 1 FETCH (UID 4 BODY[] {2}\r\nab)\r\n"
         b"{tag} OK\r\n")])
    assert r.returncode == 1 and "not asked for" in r.stderr, r.stderr
    assert msgs["INBOX"] == {}


def test_fake_server_starttls_injection_refused():
    """Bytes sent in clear right after STARTTLS's OK would be read as if
    they had come through TLS: refused, and no credentials leave."""
    r, folders, _m, _d, seen = fake_import([
        (r"STARTTLS", b"{tag} OK begin TLS\r\n* OK [CAPABILITY IMAP4rev1"
         b" AUTH=PLAIN] injected\r\n")],
        greeting=b"* OK [CAPABILITY IMAP4rev1 STARTTLS] fake\r\n",
        plaintext=False)
    assert r.returncode == 1 and "after STARTTLS" in r.stderr, r.stderr
    assert not any(b"AUTHENTICATE" in l or b"LOGIN" in l for l in seen), seen


def test_fake_server_preauth_refused_when_starttls_wanted():
    r, folders, _m, _d, seen = fake_import(
        [], greeting=b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] fake\r\n",
        plaintext=False)
    assert r.returncode == 1 and "PREAUTH" in r.stderr, r.stderr
    assert folders == {}


NETNS_SCRIPT = r'''
set -e
ip link set lo up
ip addr add 10.251.0.1/32 dev lo
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("10.251.0.1", 1143)); s.listen(1)
print("listening", flush=True)
c, _ = s.accept(); c.settimeout(10)
c.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] fake\r\n")
try:
    data = c.recv(4096)
except OSError:
    data = b""
sys.stderr.write("server got %r\n" % data)
' &
for i in $(seq 50); do
    python3 -c 'import socket; socket.create_connection(("10.251.0.1", 1143)).close()' 2>/dev/null && break
    sleep 0.1
done
'''


def test_plaintext_refused_to_a_non_loopback_address():
    """In a network namespace of its own, a server on 10.251.0.1 (not
    loopback): --plaintext does not make the source talk to it in clear."""
    import shutil
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        from harness import Skip
        raise Skip("unshare or ip missing")
    # the readiness probe above takes the server's one accept: serve twice
    script = NETNS_SCRIPT.replace("s.listen(1)", "s.listen(2)").replace(
        "c, _ = s.accept();", "s.accept()[0].close(); c, _ = s.accept();")
    script += "rc=0; echo secret-pw | %s --plaintext imap://u@10.251.0.1:1143" \
        " || rc=$?; echo rc=$rc; wait\n" % tool("cloister-import-imap-dump")
    r = subprocess.run(["unshare", "--net", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    assert "rc=1" in r.stdout, (r.stdout, r.stderr)
    assert "loopback addresses only" in r.stderr, r.stderr
    assert "server got b''" in r.stderr, r.stderr    # not a byte was sent


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


def socket_owner(port):
    """What the kernel says of the process holding the 127.0.0.1 TCP socket
    whose local port is port: its status lines, descriptors, network
    namespace and root; None if no process holds it."""
    with open("/proc/net/tcp") as f:
        rows = [l.split() for l in f.readlines()[1:]]
    row = next(r for r in rows if int(r[1].split(":")[1], 16) == port)
    target = "socket:[%s]" % row[9]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        d = "/proc/%s/" % pid
        try:
            fds = {int(n): os.readlink(d + "fd/" + n)
                   for n in os.listdir(d + "fd")}
            if target not in fds.values():
                continue
            with open(d + "status") as f:
                status = dict(l.split(":", 1) for l in f.read().splitlines())
            return {"status": {k: v.split() for k, v in status.items()},
                    "fds": fds, "netns": os.readlink(d + "ns/net"),
                    "root": os.readlink(d + "root")}
        except OSError:
            continue
    return None


def test_cloisterctl_reads_the_server_confined_without_the_store():
    """cloisterctl runs as root and holds the store's admin socket; the
    IMAP source reads the server in a child confined under
    import-imap.policy: nobody (all four ids), no capabilities,
    no_new_privs, a seccomp filter, a network namespace and an empty root
    of its own, holding no descriptor but standard I/O, its relay socket
    (3) and the server's socket."""
    if not need_stored():
        return
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    seen = []

    class Watch(FakeServer):
        def serve(self):
            c, peer = self.sock.accept()
            # the child confines itself before it reads the greeting
            time.sleep(0.5)
            seen.append(socket_owner(peer[1]))
            c.sendall(b"* BYE not today\r\n")
            c.close()
    with ImapServer({"bob": "builder"}) as dst:
        srv = Watch(b"", [])
        try:
            r = ctl_import(dst, "bob", "imap://u@127.0.0.1:%d" % srv.port,
                           "pw", "--plaintext")
        finally:
            srv.close()
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert len(seen) == 1 and seen[0] is not None, (seen, r.stderr)
        p = seen[0]
        assert p["status"]["Uid"] == [str(nobody)] * 4, p["status"]["Uid"]
        # the policy's group (nogroup) is its one group
        assert p["status"]["Groups"] in ([], [str(pwd.getpwnam("nobody").pw_gid)],
                                         [str(grp.getgrnam("nogroup").gr_gid)]), p["status"]
        assert p["status"]["NoNewPrivs"] == ["1"], p["status"]
        assert p["status"]["Seccomp"] == ["2"], p["status"]     # filter mode
        assert p["status"]["CapEff"] == ["0000000000000000"], p["status"]
        assert p["netns"] != os.readlink("/proc/self/ns/net"), p["netns"]
        assert p["root"] != "/", p["root"]
        assert sorted(p["fds"]) == [0, 1, 2, 3, 4] and all(
            t.startswith("socket:") for n, t in p["fds"].items() if n > 2), \
            p["fds"]


def test_fake_server_namespaces_personal_prefix_and_others_left_out():
    """Courier and Cyrus without altnamespace put the user's folders under
    "INBOX."; other users' and shared folders are listed too. The import
    takes INBOX.Sent as Sent and leaves #users.* and #shared.* out."""
    greeting = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR NAMESPACE] x\r\n"
    replies = [
        (r"AUTHENTICATE PLAIN", b"{tag} OK logged in\r\n"),
        (r"CAPABILITY", b"* CAPABILITY IMAP4rev1 NAMESPACE\r\n{tag} OK\r\n"),
        (r"NAMESPACE", b'* NAMESPACE (("INBOX." ".")) (("#users." "."))'
         b' (("#shared." "."))\r\n{tag} OK\r\n'),
        (r"LIST", b'* LIST () "." INBOX\r\n* LIST () "." INBOX.Sent\r\n'
         b'* LIST () "." INBOX.a.b\r\n* LIST () "." #users.bob.Private\r\n'
         b'* LIST () "." #shared.Team\r\n{tag} OK\r\n'),
        (r"LSUB", b'* LSUB () "." INBOX.Sent\r\n{tag} OK\r\n'),
        (r"EXAMINE", b"* 0 EXISTS\r\n* OK [UIDVALIDITY 9] v\r\n{tag} OK\r\n"),
    ]
    r, folders, _m, _d, seen = fake_import(replies, greeting=greeting)
    assert r.returncode == 0, r.stderr
    assert sorted(folders) == ["INBOX", "Sent", "a/b"], folders
    assert folders["Sent"][3] and not folders["INBOX"][3], folders
    assert not any(b"#users" in l or b"#shared" in l for l in seen
                   if b"EXAMINE" in l), seen
    assert any(l.endswith(b'EXAMINE "INBOX.Sent"') for l in seen), seen


# ---- import-imap.policy under the probe and the audit ----------------------------

def test_probe_refuses_every_escape_under_the_import_policy():
    """cloister-probe plays the child taken over: every escape refused,
    with all layers and with the seccomp filter alone."""
    from harness import policy, run
    for opts in ((), ("--without", "netns,landlock")):
        r = run([tool("cloister-probe")] + list(opts) + [policy("import-imap")],
                timeout=120)
        out = r.stdout + r.stderr
        lines = [l for l in out.splitlines()
                 if re.search(r"\s(refused|ALLOWED|error)$", l)]
        assert len(lines) >= 38, out
        assert "ALLOWED" not in out and r.returncode == 0, out


def test_audit_passes_on_a_process_under_the_import_policy():
    from harness import ConfinedWorker, policy, run
    with ConfinedWorker(policy("import-imap")) as w:
        r = run([tool("cloister-audit"), "-d", os.path.dirname(
            policy("import-imap")), "%d:import-imap" % w.pid])
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 processes audited, 0 drifts" in r.stdout, r.stdout


def test_fake_server_more_answers_than_asked_for_refused():
    """A server that answers a metadata FETCH without end would take all
    memory: one answer more than the messages asked for ends the run."""
    meta = b'* 1 FETCH (UID %d FLAGS () RFC822.SIZE 10)\r\n'
    r, _f, msgs, _d, _s = fake_import(LOGGED_IN[:4] + [
        (r"EXAMINE", b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n{tag} OK\r\n"),
        (r"FETCH 1:1", meta % 3 + meta % 4 + b"{tag} OK\r\n")])
    assert r.returncode == 1 and "more FETCH answers" in r.stderr, r.stderr
    assert msgs["INBOX"] == {}


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
