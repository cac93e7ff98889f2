"""Sieve's outgoing mail all the way: alice's vacation answers bob, the
answer leaves alice's outbox through submitd and Debian's Postfix (the
relay, as in test_submit_postfix.py), which delivers it back over LMTP into
bob's INBOX: with a null return path, Auto-Submitted: auto-replied and
In-Reply-To; and bob's own vacation does not answer it (null sender)."""
import contextlib
import os
import shutil
import time

from cloister_server import CloisterServer, free_port
from lmtp_sieve_util import message, script_file
from lmtp_util import (Admin, Lmtp, have_store, lmtpd_block, stored_block,
                       stored_messages, wait_counts)
from submit_util import submitd_block
from test_lmtp_postfix import make_instance, postfix

VACATION = ('require "vacation";\n'
            'vacation :days 1 :subject "Out of office" "Back on Monday.";\n')


@contextlib.contextmanager
def postfix_relay(srv, port):
    """A private Postfix taking SMTP on port (submitd's relay) and
    delivering into srv's lmtpd; yields its directory (maillog)."""
    top, conf = make_instance(srv.paths["lmtp"],
                              "127.0.0.1:%d inet n - n - - smtpd\n" % port)
    postfix(conf, "set-permissions", "create-missing")
    postfix(conf, "start")
    try:
        yield top
    finally:
        postfix(conf, "stop", check=False)
        time.sleep(0.2)
        shutil.rmtree(top, ignore_errors=True)


def maillog(top):
    path = os.path.join(top, "maillog")
    return open(path).read()[-3000:] if os.path.exists(path) else ""


def test_a_vacation_answer_reaches_the_sender_through_submitd_and_postfix():
    if not have_store():
        return
    if shutil.which("postfix") is None:
        raise AssertionError("postfix is not installed (scripts/install-deps --test)")
    port = free_port()
    lmtpd = lmtpd_block(options={"sieve-before": script_file(VACATION)})
    services = [stored_block(), lmtpd, submitd_block(port)]
    with CloisterServer(services) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        for user in ("alice", "bob"):
            adm.user(user)
        with postfix_relay(srv, port) as top:
            c = Lmtp(unix=srv.paths["lmtp"])
            ok, rr = c.deliver("bob@test.local", ["alice@test.local"],
                               message("Lunch?", msgid="lunch@test.local",
                                       to="alice@test.local",
                                       frm="bob@test.local"))
            c.close()
            assert ok and ok[0][1].startswith("250 2.0.0"), (ok, rr)
            counts = wait_counts(adm, "bob", {"INBOX": 1}, timeout=60)
            assert counts.get("INBOX") == 1, (counts, maillog(top),
                                              srv.log[-20:])
            rows = stored_messages(srv, "bob")
            headers = bytes(rows[0]["headers"]).decode()
            assert rows[0]["subject"] == "Out of office", rows[0]
            for want in ("return-path: <>\n", "auto-submitted: auto-replied",
                         "in-reply-to: <lunch@test.local>\n",
                         "from: <alice@test.local>\n"):
                assert want in headers, (want, headers)
            # bob's vacation saw a null sender: no answer went back
            time.sleep(1)
            assert wait_counts(adm, "alice", {"INBOX": 1})["INBOX"] == 1
            assert srv.wait_log(r"sieve-vacation: .*bob@test.local .*not "
                                r"sent: null sender", 5) is not None, \
                [l for l in srv.log if "sieve-" in l]
        adm.close()
