"""cloister-mta-authd under the real cloisterd and authd, spoken to
directly over its unix socket in Dovecot's auth client protocol (what
Postfix's smtpd_sasl_type = dovecot sends): the handshake, PLAIN and LOGIN
relayed to authd, pipelined AUTH ids answered in order, the log lines, and
every violation of the protocol closing the connection."""
import base64
import os
import re
import socket
import struct
import time

import auth_util as au
from harness import worker_fds
from cloister_server import CloisterServer
from supervisor_util import STORED, block

USERS = {"alice": "wonderland", "bob": "builder"}


def mta_authd_block(listen, spares=2, options=None):
    opts = {"auth": "yes"}
    opts.update(options or {})
    return block("mta-authd", "connection", "mta-authd", [listen],
                 binary="@bin:cloister-mta-authd@",
                 settings={"spares": spares, "max_prelogin": 0},
                 options=opts)


class Server:
    """cloisterd with the real authd (sasldb2 of USERS), a stand-in stored
    and cloister-mta-authd on a unix socket (mode 0666 unless given)."""

    def __init__(self, listen="mtaauth unix @path:mtaauth@ plain mode=0666",
                 options=None, users=USERS, extra=(), violations=False,
                 authd_options=None):
        # a session ended for a violation exits 1; any other exits 0
        self.bad_end = r"killed by signal" if violations else \
            r"killed by signal|exited with status [^0]"
        opts = {"realm": au.REALM, "failure-delay-ms": "300"}
        opts.update(authd_options or {})
        authd = block("authd", "auth", "authd", binary="@bin:cloister-authd@",
                      options=opts)
        self.srv = CloisterServer([authd, STORED, mta_authd_block(listen, options=options)]
                                  + list(extra))
        au.make_sasldb(os.path.join(self.srv.roots["authd"], "sasldb2"), users)

    def __enter__(self):
        self.srv.__enter__()
        self.srv.start()
        self.srv.wait_ready(timeout=20)
        return self.srv

    def __exit__(self, *exc):
        time.sleep(0.2)   # let the supervisor reap the sessions that ended
        bad = [ln for ln in self.srv.log if re.search(
            r"mta-authd: pid \d+ instance \d+ (%s)" % self.bad_end, ln)]
        r = self.srv.__exit__(*exc)
        # a system call outside the policy is SIGSYS; a fault, status 1
        assert exc[0] is not None or not bad, bad
        return r


class Mta:
    """The MTA's end: lines out, lines in, EOF seen."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def line(self):
        """The next line without "\\n", or None at EOF."""
        while b"\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                return None
            self.buf += d
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()

    def handshake(self):
        lines = []
        for _ in range(40):
            ln = self.line()
            assert ln is not None, lines
            lines.append(ln)
            if ln == "DONE":
                break
        self.send("VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
        return lines

    def closed(self, timeout=10):
        """True when the server closes without sending another line."""
        self.sock.settimeout(timeout)
        try:
            return self.line() is None
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self):
        self.sock.close()


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def plain(user, pw):
    return b64("\0%s\0%s" % (user, pw))


def auth(id_, mech, resp=None, rip="127.0.0.1", extra=""):
    line = "AUTH\t%d\t%s\tservice=smtp\tnologin\tlip=127.0.0.1\trip=%s%s" % (
        id_, mech, rip, extra)
    if resp is not None:
        line += "\tresp=" + resp
    return line + "\n"


def alice_logs_in(m, id_, rip, extra=""):
    m.send(auth(id_, "PLAIN", plain("alice", "wonderland"), rip=rip, extra=extra))
    assert m.line() == "OK\t%d\tuser=alice" % id_


def test_handshake_lists_authd_mechanisms():
    with Server() as srv:
        m = Mta(srv.paths["mtaauth"])
        lines = m.handshake()
        assert lines[0] == "VERSION\t1\t2", lines
        assert "MECH\tPLAIN\tplaintext" in lines and "MECH\tLOGIN\tplaintext" in lines, lines
        assert "MECH\tSCRAM-SHA-256" in lines, lines
        assert any(re.fullmatch(r"SPID\t\d+", ln) for ln in lines), lines
        assert any(re.fullmatch(r"CUID\t\d+", ln) for ln in lines), lines
        assert any(re.fullmatch(r"COOKIE\t[0-9a-f]{32}", ln) for ln in lines), lines
        assert lines[-1] == "DONE"
        m.close()


def test_pipelined_plain_answered_in_order_then_closed():
    with Server() as srv:
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        t0 = time.time()
        # three requests in one write: a wrong password, an unknown
        # mechanism, the right password
        m.send(auth(7, "PLAIN", plain("alice", "wrong")) +
               auth(8, "NOSUCH-MECH") +
               auth(9, "PLAIN", plain("alice", "wonderland")))
        assert m.line() == "FAIL\t7", "credentials"
        assert time.time() - t0 >= 0.25, "authd's failure delay"
        assert m.line().startswith("FAIL\t8\treason=Unsupported"), "mechanism"
        assert m.line() == "OK\t9\tuser=alice"
        # one login per process: the MTA reconnects for the next one
        assert m.closed()
        assert srv.wait_log(r"auth failed: mech=PLAIN rip=127\.0\.0\.1 "
                            r"service=smtp reason=credentials")
        assert srv.wait_log(r"login: user=alice mech=PLAIN rip=127\.0\.0\.1 service=smtp")
        # authd's own line, as for every IMAP login
        assert srv.wait_log(r"login: user=alice service=mta-authd instance=\d+ "
                            r"address=127\.0\.0\.1 mech=PLAIN")
        m.close()


def test_login_mechanism_with_continuations():
    with Server() as srv:
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        m.send(auth(1, "LOGIN"))
        assert m.line() == "CONT\t1\t" + b64("Username:")
        m.send("CONT\t1\t%s\n" % b64("bob"))
        assert m.line() == "CONT\t1\t" + b64("Password:")
        m.send("CONT\t1\t%s\n" % b64("builder"))
        assert m.line() == "OK\t1\tuser=bob"
        assert m.closed()
        m.close()


def test_plain_without_initial_response_and_scram_with_server_final():
    with Server() as srv:
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        # PLAIN with no resp=: an empty challenge first
        m.send(auth(1, "PLAIN"))
        assert m.line() == "CONT\t1\t"
        m.send("CONT\t1\t%s\n" % plain("bob", "wrong"))
        assert m.line() == "FAIL\t1"
        # SCRAM: the server-final goes out as a CONT; the MTA's empty
        # answer to it gets the OK
        sc = au.Scram("sha256", "bob", "builder")
        m.send(auth(2, "SCRAM-SHA-256", b64(sc.first()), rip="192.0.2.9"))
        ln = m.line()
        assert ln.startswith("CONT\t2\t"), ln
        m.send("CONT\t2\t%s\n" % b64(sc.final(base64.b64decode(ln.split("\t")[2]))))
        ln = m.line()
        assert ln.startswith("CONT\t2\t"), ln
        assert sc.check_server_final(base64.b64decode(ln.split("\t")[2])), ln
        m.send("CONT\t2\t\n")
        assert m.line() == "OK\t2\tuser=bob"
        assert srv.wait_log(r"login: user=bob mech=SCRAM-SHA-256 rip=192\.0\.2\.9")
        assert m.closed()
        m.close()


def test_plaintext_needs_secured_or_loopback():
    with Server() as srv:
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        m.send(auth(1, "PLAIN", plain("alice", "wonderland"), rip="192.0.2.7"))
        ln = m.line()
        assert ln.startswith("FAIL\t1\treason=Plaintext authentication disallowed"), ln
        alice_logs_in(m, 2, "192.0.2.7", "\tsecured=tls")
        assert srv.wait_log(r"auth refused: mech=PLAIN rip=192\.0\.2\.7 "
                            r"service=smtp reason=not secured")
        m.close()


def violation(srv, before_handshake, payload, answered=0):
    """True when the server answers `answered` lines and then closes."""
    m = Mta(srv.paths["mtaauth"])
    if before_handshake:
        while m.line() != "DONE":
            pass
    else:
        m.handshake()
    m.send(payload)
    for _ in range(answered):
        assert m.line() is not None
    ok = m.closed()
    m.close()
    return ok


def test_violations_close_the_connection():
    cases = [
        (True, "HELO mta\n"),                              # no VERSION first
        (True, "VERSION\t2\t0\n"),                         # another major
        (True, "VERSION\t1\t2\nAUTH\t1\tPLAIN\tservice=smtp\n"),  # no CPID
        (False, "garbage\x01\x02\n"),                      # unknown command
        (False, "AUTH\t0\tPLAIN\tservice=smtp\n"),         # id 0
        (False, "AUTH\t99999999999\tPLAIN\tservice=smtp\n"),  # id > 2^32-1
        (False, "AUTH\t1\tPLAIN\n"),                       # no service=
        (False, "AUTH\t1\tPLAIN\tservice=smtp\tresp=#!\n"),  # resp not base64
        (False, "CONT\t5\tAAAA\n"),                        # unknown id
        (False, auth(3, "LOGIN") + auth(3, "LOGIN"), 1),   # id reused in flight
        (False, "AUTH\t1\tPLAIN\tservice=smtp\x00\n"),    # NUL
        (False, "AUTH\t1\tPLAIN\t" + "\t".join(["x"] * 40) + "\tservice=smtp\n"),
        (False, "AUTH\t1\tPLAIN\tservice=smtp\tresp=" + "A" * 30000),  # over-long
        (False, "VERSION\t1\t2\n"),                        # handshake again
    ]
    with Server(violations=True) as srv:
        for case in cases:
            assert violation(srv, *case), repr(case[1][:80])
        assert srv.wait_log(r"MTA protocol violation: unknown command")
        assert srv.wait_log(r"MTA line too long")
        # the service is still there for the next MTA connection
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        m.send(auth(1, "PLAIN", plain("bob", "builder")))
        assert m.line() == "OK\t1\tuser=bob"
        m.close()


def test_a_new_auth_abandons_one_waiting_for_cont():
    with Server() as srv:
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        m.send(auth(1, "LOGIN"))
        assert m.line().startswith("CONT\t1\t")
        m.send(auth(2, "PLAIN", plain("alice", "wonderland")))
        assert m.line() == "FAIL\t1\treason=Aborted"
        assert m.line() == "OK\t2\tuser=alice"
        m.close()
        # abandoned after authd's success (SCRAM's server-final unanswered):
        # that was this process's login, so the session ends
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        sc = au.Scram("sha256", "bob", "builder")
        m.send(auth(1, "SCRAM-SHA-256", b64(sc.first())))
        ln = m.line()
        m.send("CONT\t1\t%s\n" % b64(sc.final(base64.b64decode(ln.split("\t")[2]))))
        assert m.line().startswith("CONT\t1\t")
        m.send(auth(2, "PLAIN", plain("alice", "wonderland")))
        assert m.line() == "FAIL\t1\treason=Aborted"
        assert m.closed()
        m.close()


def test_audit_passes_and_a_worker_holds_only_its_fds():
    with Server() as srv:
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        m.send(auth(1, "LOGIN"))
        assert m.line().startswith("CONT\t1\t")   # a session in progress
        r = srv.audit(json_out=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "cloister-mta-authd" in r.stdout, r.stdout
        # every worker (spares and the busy one): log, stats, control,
        # authd and, once it has one, the MTA's socket; no store channel
        for child in srv.children("mta-authd"):
            held = worker_fds(child.pid)
            fds = sorted(held)
            assert fds[:7] == [0, 1, 2, 3, 4, 5, 6], fds
            assert len(fds) <= 8, fds
            targets = [held[f] for f in fds[7:]]
            assert all(t.startswith("socket:") for t in targets), targets
        m.close()


def test_one_smtp_clients_failures_do_not_lock_out_another():
    """authd counts SMTP AUTH failures per SMTP client (Postfix's rip=),
    not in one bucket for the whole socket."""
    opts = {"max-failures-per-address": "3", "failure-window": "3600"}
    with Server(authd_options=opts) as srv:
        m = Mta(srv.paths["mtaauth"])
        m.handshake()
        answers = []
        for i in range(4):
            m.send(auth(i + 1, "PLAIN", plain("guess%d" % i, "x"),
                        rip="198.51.100.1", extra="\tsecured"))
            answers.append(m.line())
        assert answers[:3] == ["FAIL\t1", "FAIL\t2", "FAIL\t3"], answers
        assert answers[3] == "FAIL\t4\treason=Try again later\ttemp", answers
        # the same client is refused even with the right password ...
        m.send(auth(5, "PLAIN", plain("alice", "wonderland"), rip="198.51.100.1",
                    extra="\tsecured"))
        assert m.line() == "FAIL\t5\treason=Try again later\ttemp"
        assert srv.wait_log(r"auth refused: service=mta-authd instance=\d+ "
                            r"address=198\.51\.100\.1 mech=PLAIN reason=rate")
        # ... another one is not
        alice_logs_in(m, 6, "2001:db8::7", "\tsecured")
        assert srv.wait_log(r"login: user=alice service=mta-authd instance=\d+ "
                            r"address=2001:db8::7 mech=PLAIN")
        m.close()


def sockaddr_in(ip, port=0):
    return struct.pack("=H", socket.AF_INET) + struct.pack(">H", port) + \
        socket.inet_pton(socket.AF_INET, ip) + b"\0" * 8


def test_authd_takes_a_client_address_only_from_a_worker_with_a_local_client():
    CLIENT_ADDR = au.T["AUTH_CLIENT_ADDR"]
    unexpected, malformed = au.C["IPC_ERR_UNEXPECTED"], au.C["IPC_ERR_MALFORMED"]
    with au.Authd(USERS, options={"failure-delay-ms": "0"}) as a:
        # an imapd whose client came over TCP cannot replace its address
        w = a.worker(addr=("192.0.2.1", 1))
        r = w.request(CLIENT_ADDR, au.by(sockaddr_in("198.51.100.9")))
        assert r[0] == au.ERROR and r[2][0] == unexpected, r
        assert a.wait_log(r"unexpected auth_client_addr: the client is not a "
                          r"local process; refused"), a.log()
        # a worker whose client is a local process (the MTA) can
        w = a.worker(service="mta-authd", addr=None)
        au.send(a.ctl, au.CTL_CLIENT, au.u64(w.instance) +
                au.by(struct.pack("=H", socket.AF_UNIX)))
        r = w.request(CLIENT_ADDR, au.by(sockaddr_in("198.51.100.9")))
        assert r[0] == CLIENT_ADDR and r[2] == [], r
        r = w.plain("alice", "wonderland")
        assert r[0] == au.AUTH_SUCCESS, r
        assert a.wait_log(r"login: user=alice service=mta-authd instance=%d "
                          r"address=198\.51\.100\.9" % w.instance), a.log()
        # only an IP address
        w = a.worker(service="mta-authd", addr=None)
        au.send(a.ctl, au.CTL_CLIENT, au.u64(w.instance) +
                au.by(struct.pack("=H", socket.AF_UNIX)))
        r = w.request(CLIENT_ADDR, au.by(struct.pack("=H", socket.AF_UNIX) + b"x"))
        assert r[0] == au.ERROR and r[2][0] == malformed, r
