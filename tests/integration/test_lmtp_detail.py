"""user+detail over LMTP, end to end (cloisterd, authd, stored, lmtpd,
cloisterctl): by default +detail mail goes to INBOX, whatever mailbox it
names (Sent and Drafts included); `cloisterctl mailbox detail-delivery`
opts a mailbox in, refuses a special-use one unless --force, and
`mailbox list` shows the opt-in."""
import os
import subprocess

import auth_util as au
from cloister_server import CloisterServer
from harness import tool
from lmtp_util import (Admin, Lmtp, have_store, lmtpd_block, stored_block,
                       wait_counts)
from supervisor_util import block


def deliver(srv, rcpt, subject):
    c = Lmtp(unix=srv.paths["lmtp"])
    ok, _ = c.deliver("s@example.net", [rcpt], "Subject: %s\r\n\r\nx\r\n" % subject)
    c.close()
    assert ok and ok[0][1].startswith("250 2.0.0"), ok


def test_detail_delivery_is_opt_in_per_mailbox_through_cloisterctl():
    if not have_store():
        return
    authd = block("authd", "auth", "authd", binary="@bin:cloister-authd@",
                  options={"realm": au.REALM})
    with CloisterServer([authd, stored_block(), lmtpd_block()]) as srv:
        au.make_sasldb(os.path.join(srv.roots["authd"], "sasldb2"), {})
        srv.start()
        srv.wait_ready(timeout=20)

        def ctl(*args, password=None):
            return subprocess.run([tool("cloisterctl"), "-c", srv.config_path] +
                                  list(args), input=password, capture_output=True,
                                  text=True, timeout=60)
        assert ctl("user", "add", "alice", password="pw\n").returncode == 0
        assert ctl("mailbox", "create", "alice", "lists").returncode == 0
        adm = Admin(srv)
        # nothing opted in: +lists, +Sent, +Drafts all land in INBOX
        for box in ("lists", "Sent", "Drafts"):
            deliver(srv, "alice+%s@example.org" % box, "to " + box)
        counts = wait_counts(adm, "alice", {"INBOX": 3})
        assert counts["INBOX"] == 3 and counts["lists"] == 0 and \
            counts["Sent"] == 0 and counts["Drafts"] == 0, counts
        # opt lists in
        r = ctl("mailbox", "detail-delivery", "alice", "lists", "on")
        assert r.returncode == 0, r.stderr
        deliver(srv, "alice+lists@example.org", "list mail")
        assert wait_counts(adm, "alice", {"lists": 1})["lists"] == 1
        out = ctl("mailbox", "list", "alice").stdout.splitlines()
        assert "lists\t+detail\t1\t" in "\n".join(out), out
        assert any(l.startswith("INBOX\t-\t") for l in out), out
        # a special-use mailbox: refused, then forced
        r = ctl("mailbox", "detail-delivery", "alice", "Sent", "on")
        assert r.returncode == 1 and "special-use" in r.stderr, (r.returncode, r.stderr)
        deliver(srv, "alice+Sent@example.org", "still inbox")
        assert wait_counts(adm, "alice", {"INBOX": 4})["Sent"] == 0
        r = ctl("mailbox", "detail-delivery", "alice", "Sent", "on", "--force")
        assert r.returncode == 0, r.stderr
        deliver(srv, "alice+Sent@example.org", "forced")
        assert wait_counts(adm, "alice", {"Sent": 1})["Sent"] == 1
        assert any(l.startswith("Sent\t\\Sent +detail\t") for l in
                   ctl("mailbox", "list", "alice").stdout.splitlines())
        # off again; usage and unknown names
        assert ctl("mailbox", "detail-delivery", "alice", "lists", "off").returncode == 0
        deliver(srv, "alice+lists@example.org", "off")
        assert wait_counts(adm, "alice", {"INBOX": 5})["lists"] == 1
        assert ctl("mailbox", "detail-delivery", "alice", "nosuch", "on").returncode == 1
        for bad in (("alice", "lists"), ("alice", "lists", "yes"),
                    ("alice", "lists", "on", "--forse")):
            assert ctl("mailbox", "detail-delivery", *bad).returncode == 64, bad
        adm.close()
