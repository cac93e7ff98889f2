"""Debian's Postfix as submitd's relay: a private Postfix instance (as in
test_lmtp_postfix.py) listens for SMTP on loopback; a message queued in
alice's outbox leaves through submitd and cloisterd's relay connection,
Postfix takes it and delivers it back to Cloister over LMTP into bob's
INBOX, and submitd records Postfix's 250."""
import os
import re
import shutil
import time

from cloister_server import CloisterServer, free_port
from lmtp_util import (Admin, have_store, lmtpd_block, stored_block,
                       stored_messages, wait_counts)
from submit_util import queue, submitd_block
from test_lmtp_postfix import make_instance, postfix


def test_postfix_relays_the_outbox_back_into_cloister():
    if not have_store():
        return
    if shutil.which("postfix") is None:
        raise AssertionError("postfix is not installed (scripts/install-deps --test)")
    port = free_port()
    with CloisterServer([stored_block(), lmtpd_block(), submitd_block(port)]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("alice")
        adm.user("bob")
        top, conf = make_instance(srv.paths["lmtp"],
                                  "127.0.0.1:%d inet n - n - - smtpd\n" % port)
        try:
            postfix(conf, "set-permissions", "create-missing")
            postfix(conf, "start")
            msg = (b"From: Alice <alice@test.local>\r\nTo: bob@test.local\r\n"
                   b"Subject: away\r\nMessage-ID: <out1@test.local>\r\n\r\n"
                   b"I am away.\r\n.a line with a dot\r\n")
            queue(adm, "alice", ["bob@test.local"], msg, mail_from="alice@test.local")
            counts = wait_counts(adm, "bob", {"INBOX": 1}, timeout=60)
            log = ""
            if os.path.exists(os.path.join(top, "maillog")):
                with open(os.path.join(top, "maillog")) as f:
                    log = f.read()
            assert counts.get("INBOX") == 1, (counts, log[-3000:], srv.log[-20:])
            assert srv.wait_log(r"outbox 1: sent after 1 attempt\(s\): 250 ", 20), \
                srv.log[-20:]
            rows = stored_messages(srv, "bob")
            assert rows[0]["msgid"] == "<out1@test.local>"
            headers = bytes(rows[0]["headers"]).decode()
            assert "return-path: <alice@test.local>\n" in headers, headers
            assert re.search(r"from=<alice@test\.local>", log), log[-3000:]
        finally:
            postfix(conf, "stop", check=False)
            adm.close()
            time.sleep(0.2)
            shutil.rmtree(top, ignore_errors=True)
