"""Debian's Postfix doing SMTP AUTH against Cloister's users: a private
Postfix instance (its own config, queue and data dirs under a temporary
directory, loopback only) configured with the blocks of docs/postfix.md as
written (cloister.conf, main.cf, master.cf; only the paths of the temporary
directory put in), a submission smtpd with TLS, and swaks: AUTH PLAIN and
LOGIN with the right password (235, the message lands in the INBOX over
LMTP), a wrong one (535), no AUTH (refused), and the log lines of both
sides."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import auth_util as au
import test_lmtp_postfix as lp
from cloister_server import CloisterServer, free_port
from harness import TOP, Skip, service_block
from lmtp_util import Admin, have_store, stored_block, wait_counts

USERS = {"alice": "wonderland", "bob": "builder"}
SPOOL = "/var/spool/postfix"
LIBEXEC = "/usr/local/libexec/cloister/"


def doc_blocks():
    """{info string: text} of the fenced blocks of docs/postfix.md."""
    with open(os.path.join(TOP, "docs", "postfix.md")) as f:
        text = f.read()
    blocks = dict(re.findall(r"^```([\w.]+)\n(.*?)^```$", text, re.M | re.S))
    assert {"cloister.conf", "main.cf", "master.cf"} <= set(blocks), blocks.keys()
    return blocks


def cloister_blocks(blocks, queue):
    """The documented services, run from the build and the test's queue."""
    text = blocks["cloister.conf"].replace(SPOOL, queue)
    text = re.sub(re.escape(LIBEXEC) + r"(cloister-[\w-]+)", r"@bin:\1@", text)
    services = re.findall(r"^service .*?^}$", text, re.M | re.S)
    assert len(services) == 2, services
    return services


def main_cf(top, port, blocks):
    base = lp.main_cf(top, "unused")
    base = "\n".join(ln for ln in base.splitlines()
                     if not ln.startswith(("local_transport", "mydestination")))
    return "\n".join([
        base,
        "mydestination =",
        "smtpd_tls_cert_file = %s/cert.pem" % top,
        "smtpd_tls_key_file = %s/key.pem" % top,
        "smtpd_tls_loglevel = 1",
        blocks["main.cf"], ""])


def master_cf(port, blocks):
    entry = blocks["master.cf"].replace("submission inet",
                                        "127.0.0.1:%d inet" % port, 1)
    assert entry != blocks["master.cf"]
    return lp.MASTER_CF + \
        "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n" + entry


def make_cert(top):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=mta.test.local", "-days", "2",
                    "-keyout", os.path.join(top, "key.pem"),
                    "-out", os.path.join(top, "cert.pem")],
                   check=True, capture_output=True, timeout=60)


def swaks(port, *args):
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(port),
                        "--tls", "--from", "alice@example.test",
                        "--to", "alice@example.test", "--timeout", "30",
                        "--header", "Subject: submitted"] + list(args),
                       capture_output=True, text=True, timeout=90)
    return p.returncode, p.stdout + p.stderr


class Instance:
    """Cloister (authd, stored, lmtpd, mta-authd) and a private Postfix
    whose queue directory holds both sockets."""

    def __enter__(self):
        if not have_store():
            raise Skip("cloister-stored is not built")
        if shutil.which("postfix") is None or shutil.which("swaks") is None:
            raise AssertionError("postfix and swaks: scripts/install-deps --test")
        self.top = tempfile.mkdtemp(prefix="cloister-pfauth-")
        os.chmod(self.top, 0o755)
        self.conf = os.path.join(self.top, "etc")
        queue = os.path.join(self.top, "queue")
        for d in (self.conf, queue, os.path.join(queue, "private"),
                  os.path.join(self.top, "data")):
            os.mkdir(d)
        shutil.chown(os.path.join(self.top, "data"), "postfix", "postfix")
        shutil.chown(os.path.join(queue, "private"), "postfix", "root")
        os.chmod(os.path.join(queue, "private"), 0o700)
        blocks = doc_blocks()
        authd = service_block("authd", "auth", "@bin:cloister-authd@", "authd",
                              options={"realm": au.REALM,
                                       "failure-delay-ms": "300"})
        self.srv = CloisterServer([authd, stored_block()] +
                                  cloister_blocks(blocks, queue))
        au.make_sasldb(os.path.join(self.srv.roots["authd"], "sasldb2"), USERS)
        self.srv.__enter__()
        self.srv.start()
        self.srv.wait_ready(timeout=20)
        self.adm = Admin(self.srv)
        self.adm.user("alice")
        self.port = free_port()
        make_cert(self.top)
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(main_cf(self.top, self.port, blocks))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(master_cf(self.port, blocks))
        lp.postfix(self.conf, "set-permissions", "create-missing")
        lp.postfix(self.conf, "start")
        return self

    def maillog(self):
        path = os.path.join(self.top, "maillog")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def wait_maillog(self, pattern, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, self.maillog()):
                return True
            time.sleep(0.2)
        return False

    def __exit__(self, *exc):
        lp.postfix(self.conf, "stop", check=False)
        self.adm.close()
        self.srv.__exit__(*exc)
        shutil.rmtree(self.top, ignore_errors=True)


def test_postfix_smtp_auth_plain_and_login_against_cloister_users():
    with Instance() as pf:
        srv = pf.srv
        rc, out = swaks(pf.port, "--auth", "PLAIN", "--auth-user", "alice",
                        "--auth-password", "wonderland")
        assert rc == 0 and "235 2.7.0 Authentication successful" in out, out
        assert srv.wait_log(r"mta-authd.*login: user=alice mech=PLAIN "
                            r"rip=127\.0\.0\.1 service=smtp"), srv.log[-20:]
        assert wait_counts(pf.adm, "alice", {"INBOX": 1}, timeout=60)["INBOX"] == 1, pf.maillog()[-3000:]
        # LOGIN through the same smtpd process: Postfix reconnects to a
        # fresh mta-authd after the one that served the PLAIN login left
        rc, out = swaks(pf.port, "--auth", "LOGIN", "--auth-user", "alice",
                        "--auth-password", "wonderland")
        assert rc == 0 and "235 2.7.0 Authentication successful" in out, out
        assert srv.wait_log(r"mta-authd.*login: user=alice mech=LOGIN")
        assert wait_counts(pf.adm, "alice", {"INBOX": 2}, timeout=60)["INBOX"] == 2, pf.maillog()[-3000:]
        assert pf.wait_maillog(r"sasl_method=LOGIN, sasl_username=alice"), \
            pf.maillog()[-3000:]
        assert pf.wait_maillog(r"relay=.*cloister-lmtp.*status=sent"), \
            pf.maillog()[-3000:]
        # both logins were served by one smtpd process (Postfix keeps it
        # for the next client), so it did reconnect to the auth socket
        pids = re.findall(r"smtpd\[(\d+)\]: \w+: client=\S+, sasl_method=",
                          pf.maillog())
        assert len(pids) == 2 and pids[0] == pids[1], pf.maillog()[-3000:]


def test_postfix_refuses_a_wrong_password_and_no_auth():
    with Instance() as pf:
        srv = pf.srv
        rc, out = swaks(pf.port, "--auth", "PLAIN", "--auth-user", "alice",
                        "--auth-password", "wrong")
        assert rc != 0 and "535 5.7.8" in out, out
        assert srv.wait_log(r"mta-authd.*auth failed: mech=PLAIN "
                            r"rip=127\.0\.0\.1 service=smtp reason=credentials")
        assert pf.wait_maillog(r"SASL PLAIN authentication failed"), pf.maillog()[-3000:]
        rc, out = swaks(pf.port, "--auth", "LOGIN", "--auth-user", "nobody",
                        "--auth-password", "x")
        assert rc != 0 and "535 5.7.8" in out, out
        # no AUTH: submission refuses the client
        rc, out = swaks(pf.port)
        assert rc != 0 and re.search(r"<~\* 554 5\.7\.1", out), out
        # and a right password still works after the failures
        rc, out = swaks(pf.port, "--auth", "PLAIN", "--auth-user", "alice",
                        "--auth-password", "wonderland")
        assert rc == 0 and "235 2.7.0" in out, out
