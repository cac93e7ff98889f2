"""cloisterctl status, who, kick and reload against a real cloisterd with
authd, stored, keyd and imapd and imaplib sessions; and the login reports
the supervisor keeps for `who` and `kick` sent by a hostile authd (a fake
one: forged, repeated, oversized reports and control bytes in the name):
cloisterd stays up, keeps the first report, and prints it escaped."""
import os
import re
import signal
import socket
import stat
import subprocess
import tempfile
import time

from auth_util import REALM
from cloister_server import CloisterServer
from harness import TOP, service_block, tool, wait_for
from imap_util import ImapServer
from lmtp_util import stored_block


def ctl(srv, *args):
    return subprocess.run([tool("cloisterctl"), "-c", srv.config_path] +
                          list(args), capture_output=True, text=True,
                          timeout=60)


def rows(out, first):
    return [l.split("\t") for l in out.splitlines() if l.split("\t")[0] == first]


def who_rows(srv):
    r = ctl(srv, "who")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "SERVICE\tPID\tUSER\tCLIENT\tSINCE", lines
    return [l.split("\t") for l in lines[1:]]


def test_status_who_kick_with_imaplib_sessions():
    with ImapServer(users={"alice": "a-pass-1", "bob": "b-pass-1"}) as isrv:
        srv = isrv.srv
        a1 = isrv.login("alice", "a-pass-1")
        a2 = isrv.login("alice", "a-pass-1")
        b1 = isrv.login("bob", "b-pass-1")
        anon = socket.create_connection(("127.0.0.1", srv.port("plain")))
        anon.recv(100)                                  # the greeting
        assert wait_for(lambda: len(who_rows(srv)) == 4, 10), who_rows(srv)
        who = who_rows(srv)
        users = sorted(r[2] for r in who)
        assert users == ["-", "alice", "alice", "bob"], who
        for r in who:
            assert r[0] == "imapd" and r[3] == "127.0.0.1", r
            assert int(r[1]) in [c.pid for c in srv.children("imapd")], r
            assert r[4].endswith("Z") and r[4][:4].isdigit(), r

        r = ctl(srv, "status")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("cloisterd\tpid %d\t" % srv.proc.pid), r.stdout
        im = rows(r.stdout, "imapd")[0]
        assert im[1:3] == ["connection", "running"], im
        assert im[6:8] == ["4", "3"], im                # sessions, logged in
        for name, role in (("authd", "auth"), ("stored", "store"),
                           ("keyd", "key")):
            row = rows(r.stdout, name)[0]
            assert row[1:3] == [role, "running"], row
            assert [int(p) for p in row[3].split(",")] == \
                [c.pid for c in srv.children(name)], (row, srv.children(name))
            assert row[4].endswith("s") and row[5] == "0", row
        assert r.stdout.rstrip().endswith("held services: none"), r.stdout

        r = ctl(srv, "kick", "alice")
        assert r.returncode == 0 and r.stdout == "2 sessions ended\n", \
            (r.returncode, r.stdout, r.stderr)
        for m in (a1, a2):
            try:
                m.noop()
                raise AssertionError("a kicked session still answers")
            except (OSError, EOFError, a1.abort, a1.error):
                pass
        assert wait_for(lambda: sorted(r[2] for r in who_rows(srv)) ==
                        ["-", "bob"], 10), who_rows(srv)
        assert b1.noop()[0] == "OK"                   # bob is untouched
        r = ctl(srv, "kick", "alice")
        assert r.returncode == 1 and "no session" in r.stderr, r
        # a kick counts as no failure of the service
        r = ctl(srv, "status")
        assert rows(r.stdout, "imapd")[0][5] == "0", r.stdout
        anon.close()
        b1.logout()


BYE = b"* BYE Disconnected by the server administrator"


def pid_of(srv, user):
    return [int(r[1]) for r in who_rows(srv) if r[2] == user]


def test_kicked_and_stopped_sessions_hear_bye():
    """A session SIGTERM ends (cloisterctl kick; cloisterd stopping) says
    "* BYE" before the connection closes, as Dovecot's and Cyrus's do:
    one waiting for its next command over TLS, one in IDLE in clear, and
    one signalled directly as cloisterd's shutdown does."""
    with ImapServer(users={"carol": "c-pass-1", "dave": "d-pass-1"}) as isrv:
        srv = isrv.srv
        waiting = isrv.raw_login("carol", kind="imaps")
        idler = isrv.raw_login("carol", kind="plain")
        assert idler.cmd("S1", "SELECT INBOX")[-1].startswith(b"S1 OK")
        idler.send("I1 IDLE\r\n")
        assert idler.line().startswith(b"+ "), "IDLE not accepted"
        stopped = isrv.raw_login("dave", kind="imaps")
        assert wait_for(lambda: len(pid_of(srv, "carol")) == 2 and
                        len(pid_of(srv, "dave")) == 1, 10), who_rows(srv)
        mark = len(srv.log)
        r = ctl(srv, "kick", "carol")
        assert r.returncode == 0 and r.stdout == "2 sessions ended\n", r
        for c in (waiting, idler):
            assert c.line(timeout=5) == BYE, c.buf
            assert c.closed(), "the connection stays open after BYE"
        os.kill(pid_of(srv, "dave")[0], signal.SIGTERM)
        assert stopped.line(timeout=5) == BYE, stopped.buf
        assert stopped.closed()
        # the session lines say why, once each
        assert wait_for(lambda: sum("reason=shutdown" in l
                                    for l in srv.log[mark:]) == 3, 10), \
            srv.log[mark:]


def process_gone(pid):
    """True once pid has exited (reaped or a zombie). The process can be
    reaped between any two reads of /proc, so a vanished file is an answer:
    open() then says ENOENT, and a read of an already-open file ESRCH."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_kick_ends_a_session_blocked_writing_to_its_client_at_once():
    """A client that stops reading in the middle of a big FETCH cannot hold
    its session against a kick: the write wait ends at once (no BYE can be
    said mid-response), long before the write timeout."""
    with ImapServer(users={"erin": "e-pass-1"}) as isrv:
        srv = isrv.srv
        c = isrv.raw_login("erin", kind="plain")
        body = b"Subject: big\r\n\r\n" + b"x" * 1000000 + b"\r\n"
        c.send("A1 APPEND INBOX {%d}\r\n" % len(body))
        assert c.line().startswith(b"+ ")
        c.send(body + b"\r\n")
        assert c.until_tagged("A1")[-1].startswith(b"A1 OK")
        assert c.cmd("S1", "SELECT INBOX")[-1].startswith(b"S1 OK")
        # 20 MB asked for, none read: the session blocks in a write
        c.send("".join("F%d FETCH 1 BODY[]\r\n" % i for i in range(20)))
        assert wait_for(lambda: len(pid_of(srv, "erin")) == 1, 10)
        pid = pid_of(srv, "erin")[0]
        time.sleep(0.5)
        mark = len(srv.log)
        r = ctl(srv, "kick", "erin")
        assert r.returncode == 0, r
        assert wait_for(lambda: process_gone(pid), 5), \
            "a kicked session blocked in a write lives on"
        assert srv.wait_log(r"session end: user=erin .*reason=shutdown",
                            start=mark), srv.log[mark:]
        c.close()


def test_reload_reports_the_result_and_keeps_a_bad_config_out():
    with ImapServer() as isrv:
        srv = isrv.srv
        r = ctl(srv, "reload")
        assert r.returncode == 0 and "generation 1" in r.stdout, \
            (r.returncode, r.stdout, r.stderr)
        with open(srv.config_path) as f:
            good = f.read()
        try:
            # a file cloisterctl cannot read is refused before it asks
            with open(srv.config_path, "a") as f:
                f.write("\nservice broken {\n  role nonsense\n}\n")
            r = ctl(srv, "reload")
            assert r.returncode == 78 and "role is" in r.stderr, r
            # a second auth service: only cloisterd's own check refuses it
            auth = re.search(r"^service authd \{.*?^\}", good, re.S | re.M)
            with open(srv.config_path, "w") as f:
                f.write(good + "\n" + auth.group(0).replace(
                    "service authd", "service authd2") + "\n")
            r = ctl(srv, "reload")
            assert r.returncode == 1 and "reload refused" in r.stderr, \
                (r.returncode, r.stdout, r.stderr)
            assert "generation 1" in r.stderr and "role auth" in r.stderr, r.stderr
        finally:
            with open(srv.config_path, "w") as f:
                f.write(good)
        r = ctl(srv, "status")
        assert r.returncode == 0 and "generation 1\n" in r.stdout, r.stdout
        assert isrv.login("alice").noop()[0] == "OK"


def test_admin_socket_is_root_only_and_status_needs_cloisterd():
    with ImapServer() as isrv:
        path = os.path.join(isrv.srv.run_dir, "cloisterd.sock")
        st = os.stat(path)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        # a process that is not root is refused by SO_PEERCRED, whatever
        # the file's mode: run as nobody with the mode opened up
        os.chmod(path, 0o666)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                            "--clear-groups", "python3", "-c",
                            "import socket,sys\n"
                            "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
                            "s.connect(sys.argv[1]); s.settimeout(5)\n"
                            "try:\n"
                            "    s.send(bytes(16)); print(len(s.recv(100)))\n"
                            "except (BrokenPipeError, ConnectionResetError):\n"
                            "    print(0)\n", path],
                           capture_output=True, text=True, timeout=30)
        assert r.stdout.strip() == "0", (r.stdout, r.stderr)
        assert isrv.srv.wait_log(r"admin socket: refused pid \d+ uid 65534", 5)
        isrv.srv.stop()
        r = ctl(isrv.srv, "status")
        assert r.returncode == 69 and "is cloisterd running" in r.stderr, \
            (r.returncode, r.stderr)


FAKE_AUTHD = r'''#!/usr/bin/python3
# A hostile authd: its login reports are forged, repeated, oversized.
import os, socket, struct, sys
sys.path.insert(0, %(dir)r)
from cloister_ipc import (CTL_READY_RECORD, T, decode, record, recv_record)
LOGGED_IN = T["CTL_LOGGED_IN"]
def report(inst, name, n=None):
    n = len(name) if n is None else n
    return record(LOGGED_IN, payload=struct.pack(">Q", inst) + bytes([n]) + name)
ctl = socket.socket(fileno=5)
ctl.send(CTL_READY_RECORD)
keep, clients = [], 0
while True:
    try:
        t, _, _, payload, fd = recv_record(ctl, None)
    except EOFError:
        sys.exit(0)
    if fd is not None:
        keep.append(fd)
    if t != T["CTL_CLIENT"]:
        continue
    inst = decode(payload)[0]
    clients += 1
    if clients == 1:
        ctl.send(report(inst, b"evil\x1b[31m\n\\ name\xff"))
        ctl.send(report(inst, b"second"))            # the first stands
        ctl.send(report(inst + 10**6, b"ghost"))     # no such session
        ctl.send(report(inst, b"short", 9))          # length byte lies
    else:
        ctl.send(report(inst, b"x" * 300, 255))      # oversized
'''


def fake_program(name, template):
    """A Python stand-in for a daemon, executable by cloisterd (root)."""
    d = tempfile.mkdtemp(prefix="cloister-" + name + "-")
    os.chmod(d, 0o755)
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(template % {"dir": os.path.join(TOP, "tests", "integration")})
    os.chmod(path, 0o755)
    return path


def test_hostile_login_reports_leave_cloisterd_up_and_print_escaped():
    fake = fake_program("fake-authd", FAKE_AUTHD)
    authd = service_block("authd", "auth", fake, "authd",
                          options={"realm": REALM})
    imapd = service_block("imapd", "connection", "@bin:cloister-imapd@",
                          "imapd", ["plain tcp 127.0.0.1:@port:plain@ plain"],
                          settings={"spares": 1}, options={"auth": "yes"})
    srv = CloisterServer([authd, stored_block(), imapd])
    try:
        srv.start()
        assert wait_for(lambda: srv.children("imapd"), 20), srv.log[-20:]
        c1 = socket.create_connection(("127.0.0.1", srv.port("plain")))
        want = "evil\\x1b[31m\\x0a\\x5c\\x20name\\xff"
        assert wait_for(lambda: [r[2] for r in who_rows(srv)] == [want], 10), \
            (who_rows(srv), srv.log[-20:])
        # the lying length byte killed the fake; the report before stood
        assert srv.wait_log(r"authd: pid \d+ .*unexpected record", 10), srv.log[-20:]
        assert srv.wait_log(r"a second login report for one session", 5)
        # restarted, it gets the next client and sends an oversized report:
        # killed again, and cloisterd stays up and answers
        assert wait_for(lambda: srv.children("authd"), 20), srv.log[-20:]

        def kills():
            return sum("unexpected record on its control channel" in l
                       for l in srv.log)
        c2 = socket.create_connection(("127.0.0.1", srv.port("plain")))
        assert wait_for(lambda: kills() >= 2, 20), srv.log[-20:]
        assert srv.proc.poll() is None
        r = ctl(srv, "status")
        assert r.returncode == 0 and rows(r.stdout, "imapd"), r
        who = ctl(srv, "who").stdout
        assert "ghost" not in who and "second" not in who and "xxx" not in who, who
        c1.close()
        c2.close()
    finally:
        srv.close()


def test_status_names_a_held_service():
    from supervisor_util import FULL, block
    crashy = block("crashy", "connection", "imapd",
                   ["crash tcp 127.0.0.1:@port:crash@ plain"],
                   settings={"spares": 2}, options={"standin-crash": "yes"})
    with CloisterServer(FULL + [crashy], options={"restart-burst": 3,
                                                 "restart-window": 10}) as srv:
        srv.start()
        assert wait_for(lambda: srv.wait_log(r"crashy: held", 0), 20), \
            "\n".join(srv.log[-20:])
        r = ctl(srv, "status")
        assert r.returncode == 0, r.stderr
        row = rows(r.stdout, "crashy")[0]
        assert row[1:4] == ["connection", "held", "-"], row
        assert r.stdout.rstrip().endswith("held services: crashy"), r.stdout
        assert rows(r.stdout, "authd")[0][2] == "running", r.stdout


FAKE_WORKER = r'''#!/usr/bin/python3
# A connection worker that claims a login for itself: only authd may.
import socket, struct, sys, time
sys.path.insert(0, %(dir)r)
from cloister_ipc import CTL_READY_RECORD, T, record
inst = int(sys.argv[sys.argv.index("--instance") + 1])
ctl = socket.socket(fileno=5)
ctl.send(CTL_READY_RECORD)
ctl.send(record(T["CTL_LOGGED_IN"],
                payload=struct.pack(">Q", inst) + bytes([7]) + b"mallory"))
time.sleep(30)
'''


def test_a_worker_cannot_report_its_own_login():
    fake = fake_program("fake-imapd", FAKE_WORKER)
    liar = service_block("liar", "connection", fake, "imapd",
                         ["l tcp 127.0.0.1:@port:liar@ plain"],
                         settings={"spares": 1})
    isrv = ImapServer(extra_services=[liar])
    try:
        srv = isrv.srv
        srv.start()      # not wait_ready: the liar never confines itself
        assert srv.wait_log(r"liar: pid \d+ instance \d+: unexpected record"
                            r" on its control channel; killing it", 20), \
            srv.log[-20:]
        socket.create_connection(("127.0.0.1", srv.port("liar"))).close()
        assert "mallory" not in ctl(srv, "who").stdout
        r = ctl(srv, "status")
        assert r.returncode == 0 and srv.proc.poll() is None, r
    finally:
        isrv.close()
