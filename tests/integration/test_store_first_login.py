"""A user who exists only in the password database (made with the
standard saslpasswd2, not cloisterctl) gets a store, INBOX and the
special-use mailboxes at the first login; `set autocreate-users no` on the
store turns that off."""
import imaplib
import re

from imap_util import ImapServer


def names_and_uses(m):
    typ, data = m.list()
    assert typ == "OK", data
    out = {}
    for line in data:
        line = line.decode()
        flags = re.match(r"\((.*?)\)", line).group(1).split()
        name = line.rsplit(" ", 1)[1].strip('"')
        out[name] = {f for f in flags if f in
                     ("\\Drafts", "\\Sent", "\\Junk", "\\Trash", "\\Archive")}
    return out


def test_first_login_creates_the_store_with_special_use_mailboxes():
    srv = ImapServer(users={"carol": "c-pass-1"})
    try:
        srv.start(store_users=False)
        m = srv.login("carol", "c-pass-1")
        got = names_and_uses(m)
        assert got == {"INBOX": set(), "Drafts": {"\\Drafts"},
                       "Sent": {"\\Sent"}, "Junk": {"\\Junk"},
                       "Trash": {"\\Trash"}, "Archive": {"\\Archive"}}, got
        typ, _ = m.select("INBOX")
        assert typ == "OK"
        m.append("INBOX", None, None, b"Subject: x\r\n\r\nhello\r\n")
        m.logout()
        # the second login finds the same store, nothing created twice
        m = srv.login("carol", "c-pass-1")
        assert m.select("INBOX")[1] == [b"1"]
        m.logout()
        assert sum("created user carol at first login" in l
                   for l in srv.srv.log) == 1
    finally:
        srv.close()


def test_autocreate_users_can_be_turned_off():
    # a global option: the store reads its own section, then the globals
    srv = ImapServer(users={"dave": "d-pass-1"},
                     options={"autocreate-users": "no"})
    try:
        srv.start(store_users=False)
        m = srv.imap()
        try:
            m.login("dave", "d-pass-1")
            raise AssertionError("logged in without a store")
        except imaplib.IMAP4.error:
            pass
    finally:
        srv.close()
