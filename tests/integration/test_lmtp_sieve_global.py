"""Duplicate suppression and the global scripts at delivery (lmtpd,
docs/lmtpd.md): real deliveries with Python's smtplib LMTP client, the
result read with imaplib.

- the same Message-ID delivered twice to one recipient is filed once (the
  second is acknowledged 250 and logged as a duplicate); another recipient
  of the same message gets its own copy; a message without Message-ID is
  never a duplicate;
- sieve-before and sieve-after run around the user's script as Pigeonhole
  runs them: before's fileinto stands, a stop in before ends all, a reject
  answers that recipient 550 5.7.1 with the reason while the other
  recipient of the same message gets 250;
- a sieve-before that does not compile stops lmtpd at start, naming the
  line and column."""
import smtplib
import time

from lmtp_sieve_util import (have_sieve_ctl, lmtp_replies, lmtp_send,
                             message, put_script, script_file, server)
from test_lmtp_imap import have_imap

BEFORE = """require ["fileinto", "reject", "imap4flags"];
if header :contains "subject" "stop-here" { fileinto "Junk"; stop; }
if header :is "X-Spam" "yes" { fileinto :flags "$Junk" "Junk"; }
if header :contains "subject" "refuse-me" { reject "No thanks, really."; }
"""
AFTER = """require ["fileinto", "mailbox"];
if header :contains "subject" "archive" { fileinto :create "Archive"; }
"""


def count(m, box):
    typ, data = m.select('"%s"' % box, readonly=True)
    assert typ == "OK", (box, data)
    return int(data[0])


def wait_count(m, box, want, timeout=10):
    end = time.time() + timeout
    while True:
        n = count(m, box)
        if n == want or time.time() > end:
            return n
        time.sleep(0.05)


def test_duplicates_are_filed_once_per_recipient():
    if not have_imap():
        return
    with server() as isrv:
        msg = message("dup", msgid="once@example.net")
        assert lmtp_send(isrv, "alice@example.org", msg) == {}
        # the MTA retries after a lost reply: 250 again, no second copy
        assert lmtp_send(isrv, "alice@example.org", msg) == {}
        assert isrv.srv.wait_log(r"duplicate: .*to=alice@example.org .*not "
                                 r"filed again") is not None
        # another recipient of the same message gets its own
        rep = lmtp_replies(isrv, ["bob@example.org"], msg)
        assert rep["bob@example.org"].startswith("250 2.0.0"), rep
        # no Message-ID: never a duplicate
        plain = message("no id")
        lmtp_send(isrv, "alice@example.org", plain)
        lmtp_send(isrv, "alice@example.org", plain)
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 3) == 3
        m.logout()
        b = isrv.login("bob")
        assert wait_count(b, "INBOX", 1) == 1
        b.logout()


FILING = """require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "bad-flag" { keep :flags "\\\\Bogus"; stop; }
if header :contains "subject" "one-box" { fileinto :create "Box"; stop; }
if header :contains "subject" "two-places" { fileinto :create "Box"; keep; }
if header :contains "subject" "drop-me" { discard; }
"""


def test_a_duplicate_is_filed_nowhere_whatever_the_script_does():
    """The duplicate check rides on the store delivery when the script
    files the message once (fileinto, keep), and is asked first when it
    files it in two places, in none, or for a +detail recipient, and
    before a keep falls back to a plain delivery (a flag the store
    refuses): every
    second copy is acknowledged 250 and filed nowhere (not in INBOX as a
    refused fileinto would be)."""
    if not have_imap() or not have_sieve_ctl():
        return
    with server() as isrv:
        r = put_script(isrv, "alice", FILING)
        assert r.returncode == 0, r.stderr
        for subj, rcpt in (("one-box", "alice"), ("two-places", "alice"),
                           ("drop-me", "alice"), ("kept", "alice"),
                           ("bad-flag", "alice"),
                           ("kept detail", "alice+lists")):
            msg = message(subj, msgid="%s@example.net" % subj.replace(" ", "."))
            assert lmtp_send(isrv, rcpt + "@example.org", msg) == {}
            assert lmtp_send(isrv, rcpt + "@example.org", msg) == {}
        m = isrv.login("alice")
        # Box: one-box, two-places; INBOX: two-places, kept, kept detail,
        # bad-flag (the store refused the flag: kept without it)
        assert wait_count(m, "INBOX", 4) == 4
        assert count(m, "Box") == 2
        m.logout()
        dups = [line for line in isrv.srv.log if "not filed again" in line]
        assert len(dups) == 6, dups

def test_duplicate_window_zero_files_every_copy():
    if not have_imap():
        return
    with server(**{"duplicate-window": "0"}) as isrv:
        msg = message("dup", msgid="twice@example.net")
        lmtp_send(isrv, "alice@example.org", msg)
        lmtp_send(isrv, "alice@example.org", msg)
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 2) == 2
        m.logout()


def test_global_scripts_run_before_and_after_the_users():
    if not have_imap():
        return
    before, after = script_file(BEFORE), script_file(AFTER)
    with server(**{"sieve-before": before, "sieve-after": after}) as isrv:
        lmtp_send(isrv, "alice@example.org",
                  message("spam", extra="X-Spam: yes\r\n"))
        lmtp_send(isrv, "alice@example.org", message("archive this"))
        lmtp_send(isrv, "alice@example.org",
                  message("stop-here archive"))
        lmtp_send(isrv, "alice@example.org", message("plain"))
        # reject: 550 5.7.1 for that recipient, with the reason
        try:
            lmtp_send(isrv, "alice@example.org", message("refuse-me"))
            raise AssertionError("accepted")
        except smtplib.SMTPDataError as e:
            assert e.smtp_code == 550 and b"5.7.1" in e.smtp_error and \
                b"No thanks, really." in e.smtp_error, e
        m = isrv.login("alice")
        # Junk: the spam (flagged $Junk) and the stopped one, which
        # sieve-after never saw
        assert wait_count(m, "Junk", 2) == 2
        typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        text = b" ".join(d[0] + d[1] if isinstance(d, tuple) else d for d in data)
        assert b"$Junk" in text and b"spam" in text, text
        # sieve-after's fileinto :create made Archive; the rest is in INBOX
        assert count(m, "Archive") == 1
        # a fileinto in any script cancels the implicit keep: only "plain"
        assert count(m, "INBOX") == 1
        m.logout()


def test_reject_answers_one_recipient_and_delivers_to_the_other():
    if not have_imap():
        return
    # the reason spans lines: the reply is still one line (no forged
    # reply can follow it)
    before = script_file('require ["reject", "envelope"];\n'
                         'if envelope :localpart "to" "alice" '
                         '{ reject "Alice is not\r\n250 taking mail"; }\n')
    with server(**{"sieve-before": before}) as isrv:
        msg = message("to both", msgid="both@example.net")
        rep = lmtp_replies(isrv, ["alice@example.org", "bob@example.org"], msg)
        assert rep["alice@example.org"] == \
            "550 5.7.1 <alice@example.org> Alice is not  250 taking mail", rep
        assert rep["bob@example.org"].startswith("250 2.0.0"), rep
        # a rejected message was not delivered: sent again, it is rejected
        # again, not taken for a duplicate
        rep = lmtp_replies(isrv, ["alice@example.org"], msg)
        assert rep["alice@example.org"].startswith("550 5.7.1"), rep
        b = isrv.login("bob")
        assert wait_count(b, "INBOX", 1) == 1
        b.logout()
        a = isrv.login("alice")
        assert count(a, "INBOX") == 0
        a.logout()


def test_a_global_script_that_does_not_compile_stops_lmtpd_at_start():
    if not have_imap():
        return
    bad = script_file('require "fileinto";\nif header :is "a" { keep; }\n')
    isrv = server(**{"sieve-before": bad})
    try:
        isrv.srv.start()
        line = isrv.srv.wait_log(r"sieve-before: .*global\.sieve: line 2, "
                                 r"column \d+", timeout=20)
        assert line is not None, "\n".join(isrv.srv.log[-30:])
    finally:
        isrv.close()



def test_the_duplicate_test_records_only_what_was_delivered():
    """RFC 7352: a message the duplicate test saw is recorded once it is
    delivered; one refused (over quota) is not a duplicate when it comes
    again."""
    if not have_imap():
        return
    from lmtp_util import Admin
    dup = script_file('require ["duplicate", "fileinto", "mailbox"];\n'
                      'if duplicate { fileinto :create "Dups"; }\n')
    with server(**{"sieve-before": dup, "duplicate-window": "0"}) as isrv:
        adm = Admin(isrv.srv)
        first = message("first", msgid="d1@example.net")
        lmtp_send(isrv, "alice@example.org", first)
        lmtp_send(isrv, "alice@example.org", first)   # -> Dups
        # room at RCPT (no SIZE given), not for 100 KB after DATA
        adm.quota("alice", storage=50000)
        second = message("second", msgid="d2@example.net",
                         body=("y" * 98 + "\r\n") * 1000)
        rep = lmtp_replies(isrv, ["alice@example.org"], second)
        assert rep["alice@example.org"].startswith("552 5.2.2"), rep
        adm.quota("alice", storage=0)
        lmtp_send(isrv, "alice@example.org", second)  # not a duplicate
        adm.close()
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 2) == 2
        assert count(m, "Dups") == 1
        m.logout()
