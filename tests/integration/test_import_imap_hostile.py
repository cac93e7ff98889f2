"""The IMAP import source against a hostile server and as a hostile
server would find it: a scripted server on 127.0.0.1 (STARTTLS response
injection, PREAUTH, an oversized literal, a body nobody asked for, more
answers than asked for, namespaces), plaintext to a non-loopback address
(in a network namespace of its own), and the child cloisterctl runs the
source in: its ids, namespace, root, descriptors and seccomp filter as
/proc shows them, cloister-probe and cloister-audit under
import-imap.policy. Helpers are test_import_imap's."""
import base64
import grp
import os
import re
import socket
import subprocess
import threading
import time

from harness import tool
from imap_util import ImapServer, need_stored
from test_import_imap import ctl_import, run_dump



class FakeServer:
    """One scripted IMAP session on 127.0.0.1: the greeting, then for each
    command line the reply of the first (regex, reply) that matches, with
    {tag} filled in; every line received is kept."""

    def __init__(self, greeting, replies, commands=200):
        self.greeting, self.replies, self.seen = greeting, replies, []
        self.commands = commands
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
            for _ in range(self.commands):
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


def fake_import(replies, *args, greeting=GREETING, plaintext=True,
                commands=200):
    srv = FakeServer(greeting, replies, commands)
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


def test_fake_server_more_answers_than_asked_for_refused():
    """A server that answers a metadata FETCH without end would take all
    memory: one answer more than the messages asked for ends the run."""
    meta = b'* 1 FETCH (UID %d FLAGS () RFC822.SIZE 10)\r\n'
    r, _f, msgs, _d, _s = fake_import(LOGGED_IN[:4] + [
        (r"EXAMINE", b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n{tag} OK\r\n"),
        (r"FETCH 1:1", meta % 3 + meta % 4 + b"{tag} OK\r\n")])
    assert r.returncode == 1 and "more FETCH answers" in r.stderr, r.stderr
    assert msgs["INBOX"] == {}


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


def test_fake_server_many_folders_keep_their_subscriptions():
    """3,000 folders, every third subscribed, one listed twice: each
    imported once, with its own subscription (LIST and LSUB names meet
    through an index)."""
    names = ["f%04d" % i for i in range(3000)]
    listing = b"".join(b'* LIST () "/" %s\r\n' % n.encode() for n in names)
    subs = b"".join(b'* LSUB () "/" %s\r\n' % n.encode() for n in names[::3])
    r, folders, _m, _d, _s = fake_import(LOGGED_IN[:2] + [
        (r"LIST", listing + b'* LIST () "/" f0001\r\n{tag} OK\r\n'),
        (r"LSUB", subs + b"{tag} OK\r\n"),
        (r"EXAMINE", b"* 0 EXISTS\r\n* OK [UIDVALIDITY 5] v\r\n{tag} OK\r\n")],
        commands=3100)
    assert r.returncode == 0, r.stderr
    assert sorted(folders) == names, len(folders)
    assert all(folders[n][3] == (i % 3 == 0) for i, n in enumerate(names))


def test_fake_server_expunge_meanwhile_shrinks_the_folder():
    """Another session expunges while the import reads (EXAMINE said 3,
    an EXPUNGE arrives with the first batch): the next batch stops at the
    folder's end as it is now instead of asking for messages gone."""
    meta = b'* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 2)\r\n'
    r, _f, msgs, _d, seen = fake_import(LOGGED_IN[:4] + [
        (r"EXAMINE", b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n{tag} OK\r\n"),
        (r"FETCH 1:2 ", meta + b"* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n{tag} OK\r\n"),
        (r"UID FETCH 1 BODY", b"* 1 FETCH (UID 1 BODY[] {2}\r\nhi)\r\n"
         b"{tag} OK\r\n")], "--batch", "2")
    assert r.returncode == 0, r.stderr
    assert list(msgs["INBOX"]) == [1], msgs
    assert not any(b"FETCH 3:" in l for l in seen), seen
