"""Delivery before the first login. A user created with `cloisterctl user
add` has a store at once; a user put into sasldb2 with saslpasswd2 alone
gets one at the first delivery, because lmtpd (with 'set auth yes') asks
authd whether the recipient exists and authd's ticket, bound to that lmtpd,
lets stored create it under the first login's rules. An unknown recipient
still gets 550 5.1.1, and nothing but authd's word creates a store."""
import os
import shutil
import subprocess

from harness import tool
from imap_util import ImapServer
from lmtp_util import Lmtp, lmtpd_block

MSG = b"From: a@example.net\r\nSubject: before login\r\n\r\nhello there\r\n"


def server(users, lmtp_auth=True, options=None):
    opts = {"auth": "yes"} if lmtp_auth else {}
    return ImapServer(users=users, options=options,
                      extra_services=[lmtpd_block(options=opts)])


def deliver(isrv, rcpt):
    c = Lmtp(unix=isrv.srv.paths["lmtp"])
    try:
        ok, rr = c.deliver("sender@example.net", [rcpt], MSG)
    finally:
        c.close()
    return ok, rr


def swaks(isrv, rcpt):
    prog = shutil.which("swaks")
    assert prog, "swaks is not installed (scripts/install-deps)"
    return subprocess.run([prog, "--protocol", "LMTP", "--socket",
                           isrv.srv.paths["lmtp"], "--to", rcpt, "--from",
                           "you@example.org", "--header",
                           "Subject: swaks before login"],
                          capture_output=True, text=True, timeout=60)


def rcpt_reply(ok, rr):
    return (ok or rr)[0][1]


def inbox_count(isrv, user, password):
    m = isrv.login(user, password)
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    m.logout()
    return int(data[0])


def store_created_lines(isrv, user):
    return [l for l in isrv.srv.log if "created user %s at first" % user in l]


def test_saslpasswd2_user_gets_mail_before_any_login():
    isrv = server({"carol": "c-pass-1"})
    try:
        isrv.start(store_users=False)
        # the first delivery by a real client: swaks over the unix socket
        r = swaks(isrv, "carol@example.org")
        assert r.returncode == 0 and "250 2.0.0" in r.stdout, r.stdout + r.stderr
        assert any("at first delivery" in l
                   for l in store_created_lines(isrv, "carol")), isrv.srv.log[-30:]
        # a second delivery finds the store: nothing is created twice
        ok, rr = deliver(isrv, "carol@example.org")
        assert ok and rcpt_reply(ok, rr).startswith("250"), (ok, rr)
        assert len(store_created_lines(isrv, "carol")) == 1
        assert inbox_count(isrv, "carol", "c-pass-1") == 2
        # an unknown recipient: 550 5.1.1, and no store for it
        ok, rr = deliver(isrv, "nobody@example.org")
        assert not ok and rcpt_reply(ok, rr).startswith("550 5.1.1"), (ok, rr)
        assert not store_created_lines(isrv, "nobody")
    finally:
        isrv.close()


def unknown_to_lmtpd(user, **kw):
    isrv = server({user: "pw-" + user}, **kw)
    try:
        isrv.start(store_users=False)
        ok, rr = deliver(isrv, user + "@example.org")
        assert not ok and rcpt_reply(ok, rr).startswith("550 5.1.1"), (ok, rr)
    finally:
        isrv.close()


def test_without_authd_channel_a_user_with_no_store_is_unknown():
    """Without 'set auth yes' lmtpd has no one to vouch for a recipient:
    the store alone decides, as before."""
    unknown_to_lmtpd("dave", lmtp_auth=False)


def test_autocreate_users_off_keeps_550():
    unknown_to_lmtpd("erin", options={"autocreate-users": "no"})


def ctl(isrv, *args, password=None):
    return subprocess.run([tool("cloisterctl"), "-c", isrv.srv.config_path] +
                          list(args), input=password, capture_output=True,
                          text=True, timeout=60)


def test_cloisterctl_user_add_then_swaks_before_login_then_imap():
    isrv = server({})
    try:
        isrv.start(store_users=False)
        r = ctl(isrv, "user", "add", "frank", password="f-pass-1\n")
        assert r.returncode == 0, r.stderr
        r = swaks(isrv, "frank@example.org")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "250 2.0.0" in r.stdout, r.stdout
        m = isrv.login("frank", "f-pass-1")
        typ, data = m.select("INBOX")
        assert typ == "OK" and data == [b"1"], data
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"swaks before login" in data[0][1], data
        m.logout()
    finally:
        isrv.close()
