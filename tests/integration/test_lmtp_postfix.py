"""Debian's Postfix in front of Cloister: a private Postfix
instance (its own config, queue and data dirs under a temporary directory,
loopback only, every outside transport an error) takes a message from its
sendmail and hands it to lmtpd over the LMTP unix socket; it lands in the
INBOX, and Postfix logs status=sent with lmtpd's 250."""
import os
import re
import shutil
import subprocess
import tempfile
import time

from cloister_server import CloisterServer
from lmtp_util import Admin, have_store, lmtpd_block, stored_block, stored_messages, wait_counts

MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def main_cf(top, lmtp_sock):
    return "\n".join([
        "compatibility_level = 3.6",
        "queue_directory = %s/queue" % top,
        "data_directory = %s/data" % top,
        "maillog_file = %s/maillog" % top,
        "maillog_file_prefixes = %s" % top,
        "mail_owner = postfix",
        "setgid_group = postdrop",
        "myhostname = mta.test.local",
        "mydomain = test.local",
        "myorigin = test.local",
        "mydestination = test.local",
        "inet_interfaces = loopback-only",
        "inet_protocols = ipv4",
        "mynetworks = 127.0.0.0/8",
        # the only way out is Cloister's socket; nothing leaves the machine
        "local_transport = lmtp:unix:%s" % lmtp_sock,
        "default_transport = error:outside delivery is off in this test",
        "relay_transport = error:outside delivery is off in this test",
        "relayhost =",
        "alias_maps =",
        "alias_database =",
        "local_recipient_maps =",
        "biff = no",
        "smtputf8_enable = no",
        "lmtp_host_lookup = native",
        "",
    ])


def postfix(conf, *args, check=True):
    p = subprocess.run(["postfix", "-c", conf] + list(args),
                       capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError("postfix %s: %s%s" % (args, p.stdout, p.stderr))
    return p


def make_instance(lmtp_sock, extra_master=""):
    """A private Postfix instance's directories and config (not started):
    (top, conf)."""
    top = tempfile.mkdtemp(prefix="cloister-postfix-")
    os.chmod(top, 0o755)
    conf = os.path.join(top, "etc")
    os.mkdir(conf)
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write(main_cf(top, lmtp_sock))
    with open(os.path.join(conf, "master.cf"), "w") as f:
        f.write(MASTER_CF + extra_master)
    for d in ("queue", "data"):
        os.mkdir(os.path.join(top, d))
    shutil.chown(os.path.join(top, "data"), "postfix", "postfix")
    return top, conf


def test_postfix_delivers_through_the_lmtp_socket():
    if not have_store():
        return
    if shutil.which("postfix") is None:
        raise AssertionError("postfix is not installed (scripts/install-deps --test)")
    with CloisterServer([stored_block(), lmtpd_block()]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("alice")
        top, conf = make_instance(srv.paths["lmtp"])
        try:
            postfix(conf, "set-permissions", "create-missing")
            postfix(conf, "start")
            msg = ("From: Sender <sender@test.local>\r\n"
                   "To: alice@test.local\r\n"
                   "Subject: through postfix\r\n"
                   "Message-ID: <pf1@test.local>\r\n\r\n"
                   "Delivered by Postfix over LMTP.\r\n")
            p = subprocess.run(["sendmail", "-C", conf, "-f", "sender@test.local",
                                "alice@test.local"], input=msg.encode(),
                               capture_output=True, timeout=60)
            assert p.returncode == 0, p.stderr
            counts = wait_counts(adm, "alice", {"INBOX": 1}, timeout=60)
            log = ""
            if os.path.exists(os.path.join(top, "maillog")):
                with open(os.path.join(top, "maillog")) as f:
                    log = f.read()
            assert counts.get("INBOX") == 1, (counts, log[-3000:])
            end = time.time() + 20
            while "status=sent" not in log and time.time() < end:
                time.sleep(0.2)
                with open(os.path.join(top, "maillog")) as f:
                    log = f.read()
            assert re.search(r"relay=.*lmtp\.sock.*status=sent \(250 2\.0\.0 "
                             r"<alice@test\.local> Saved\)", log), log[-3000:]
            rows = stored_messages(srv, "alice")
            assert rows[0]["msgid"] == "<pf1@test.local>"
            assert rows[0]["subject"] == "through postfix"
            headers = bytes(rows[0]["headers"]).decode()
            # Postfix's own Return-Path is not there: lmtpd adds it
            assert "return-path: <sender@test.local>\n" in headers, headers
            assert "delivered-to: alice@test.local\n" in headers, headers
        finally:
            postfix(conf, "stop", check=False)
            adm.close()
            shutil.rmtree(top, ignore_errors=True)
