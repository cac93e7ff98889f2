"""Sieve replace and enclose (RFC 5703 sections 6 and 7) at delivery, end
to end: a user's script installed with `cloisterctl sieve put`, messages
delivered with Python's smtplib LMTP client, the stored message read back
with imaplib (FETCH BODY[], ENVELOPE, BODYSTRUCTURE, SEARCH): the bytes
are the edited message after lmtpd's trace fields, and the store's
metadata was parsed from them. A From a script sets is the user's own
address or none (neither :from nor a :mime header sets another). A
fileinto before an edit files the
original; a redirect after one sends the edited message; an edit over
max-message-size delivers the original and says so in the log."""
import email
import re
import time

from lmtp_sieve_util import (have_sieve_ctl, lmtp_send, outbox, put_script,
                             server)
from test_lmtp_imap import have_imap
from test_lmtp_sieve_global import wait_count

SCRIPT = r"""require ["fileinto", "mailbox", "copy", "foreverypart", "mime",
  "replace", "enclose"];
if header :contains "subject" "strip" {
  foreverypart {
    if header :mime :subtype "Content-Type" "pdf" {
      replace "The attachment was removed.";
    }
  }
} elsif header :contains "subject" "swap" {
  replace :subject "Swapped" :from "Alice <alice@example.org>"
    "The new text.";
} elsif header :contains "subject" "forge" {
  replace :from "ceo@example.org" "Forged?";
} elsif header :contains "subject" "sneak" {
  replace :mime "From: ceo@example.org
Bcc: spy@example.com
Content-Type: text/plain

Sneaked?";
} elsif header :contains "subject" "wrap" {
  enclose :subject "Wrapped" :headers ["From", "Date", "Message-ID"]
    "This message was wrapped.";
} elsif header :contains "subject" "order" {
  fileinto :copy :create "Before";
  replace :mime "Content-Type: text/html

<p>after</p>";
  redirect :copy "carol@example.com";
} elsif header :contains "subject" "chain" {
  replace :subject "Replaced" "The replaced text.";
  enclose :subject "Enclosing" "The outer text.";
} elsif header :contains "subject" "many" {
  replace "1"; replace "2"; replace "3"; replace "4"; replace "5";
} elsif header :contains "subject" "huge" {
  enclose "x";
}
"""

STRIP = ("From: bob@example.net\r\nTo: alice@example.org\r\n"
         "Subject: strip\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
         "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
         "--b\r\nContent-Type: application/pdf\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
         "--b--\r\n")
PLAIN = ("From: Bob <bob@example.net>\r\nTo: alice@example.org\r\n"
         "Subject: %s\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\n"
         "Message-ID: <%s@example.net>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain\r\n\r\nThe old text.\r\n")
TRACE = re.compile(rb"\A((Return-Path|Received|Delivered-To|X-[A-Za-z-]+):"
                   rb"[^\r\n]*\r\n([ \t][^\r\n]*\r\n)*)*")
TEXT_PART = ("Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 7bit\r\n\r\n")


def stored(m, box, subject):
    """The message in box whose Subject is subject (SEARCH on the store's
    metadata), without lmtpd's trace fields: bytes."""
    m.select('"%s"' % box, readonly=True)
    typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
    assert typ == "OK" and data[0], (box, subject, data)
    uid = data[0].split()[-1]
    typ, data = m.fetch(uid, "(BODY.PEEK[])")
    assert typ == "OK", data
    raw = data[0][1]
    return raw[TRACE.match(raw).end():]


def fetch(m, box, subject, what):
    m.select('"%s"' % box, readonly=True)
    typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
    assert typ == "OK" and data[0], (box, subject, data)
    typ, data = m.fetch(data[0].split()[-1], "(%s)" % what)
    assert typ == "OK", data
    return b"".join(d if isinstance(d, bytes) else d[0] + d[1] for d in data)


def deliver_all(isrv):
    for msg in (STRIP, PLAIN % ("swap", "s1"), PLAIN % ("forge", "f1"),
                PLAIN % ("sneak", "n1"), PLAIN % ("chain", "c1"),
                PLAIN % ("many", "m1"),
                PLAIN % ("wrap", "w1"), PLAIN % ("order", "o1")):
        assert lmtp_send(isrv, "alice@example.org", msg) == {}


def check_replace(m):
    pdf = STRIP.index("Content-Type: application/pdf")
    want = STRIP[:pdf] + TEXT_PART + "The attachment was removed.\r\n--b--\r\n"
    assert stored(m, "INBOX", "strip") == want.encode()
    bs = fetch(m, "INBOX", "strip", "BODYSTRUCTURE").lower()
    assert b"pdf" not in bs and bs.count(b'"text" "plain"') == 2, bs
    want = ("Original-From: Bob <bob@example.net>\r\nTo: alice@example.org\r\n"
            "Original-Subject: swap\r\n"
            "Date: Thu, 01 Jan 2026 10:00:00 +0000\r\n"
            "Message-ID: <s1@example.net>\r\nSubject: Swapped\r\n"
            "From: Alice <alice@example.org>\r\nMIME-Version: 1.0\r\n" +
            TEXT_PART + "The new text.\r\n")
    assert stored(m, "INBOX", "Swapped") == want.encode()
    env = fetch(m, "INBOX", "Swapped", "ENVELOPE")
    assert b'"Swapped"' in env and b'"Alice"' in env, env
    # a From that is not the user's own address is not set
    got = stored(m, "INBOX", "forge")
    assert got.startswith(b"From: Bob <bob@example.net>\r\n"), got
    assert b"ceo@" not in got and got.endswith(b"\r\n\r\nForged?\r\n"), got
    # nor through :mime: only the entity's Content-* fields are taken
    got = stored(m, "INBOX", "sneak")
    assert got.startswith(b"From: Bob <bob@example.net>\r\n"), got
    assert b"ceo@" not in got and b"Bcc" not in got, got
    assert got.endswith(b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
                        b"\r\nSneaked?\r\n"), got


def check_enclose(m):
    got = stored(m, "INBOX", "Wrapped")
    msg = email.message_from_bytes(got)
    assert msg["Subject"] == "Wrapped" and msg["From"] == \
        "Bob <bob@example.net>" and msg["Message-ID"] == "<w1@example.net>"
    assert msg["To"] is None and msg.get_content_type() == "multipart/mixed"
    text, inner = msg.get_payload()
    assert text.get_payload() == "This message was wrapped.\r\n", text
    assert inner.get_content_type() == "message/rfc822"
    orig = (PLAIN % ("wrap", "w1")).encode()
    assert b"\r\n\r\n" + orig + b"\r\n--" in got, got


def check_order(m, isrv):
    # filed before the replace: the original; the implicit keep after it
    # and the redirect: the edited message
    assert stored(m, "Before", "order").endswith(b"\r\n\r\nThe old text.\r\n")
    got = stored(m, "INBOX", "order")
    assert got.endswith(b"MIME-Version: 1.0\r\nContent-Type: text/html\r\n"
                        b"\r\n<p>after</p>\r\n"), got
    assert b"Content-Type: text/plain" not in got, got
    end = time.time() + 5
    sent = []
    while not sent and time.time() < end:
        sent = [x for x in outbox(isrv) if x[2] == ["carol@example.com"]]
        time.sleep(0.05)
    assert sent and sent[0][3].endswith(b"\r\n\r\n<p>after</p>\r\n"), sent


def check_chain(m, isrv):
    # edits apply in order: the enclosed message is the replaced one
    msg = email.message_from_bytes(stored(m, "INBOX", "Enclosing"))
    text, inner = msg.get_payload()
    assert text.get_payload() == "The outer text.\r\n", text
    inner = inner.get_payload()[0]
    assert inner["Subject"] == "Replaced" and \
        inner["Original-Subject"] == "chain", inner
    assert inner.get_payload() == "The replaced text.\r\n", inner
    # at most 4 edits: the fifth is not made, and the log says so
    assert stored(m, "INBOX", "many").endswith(b"\r\n\r\n4\r\n")
    assert isrv.srv.wait_log(r"sieve-edit: .*more than 4 edits") is not None


def test_replace_and_enclose_deliver_the_edited_message():
    if not have_imap() or not have_sieve_ctl():
        return
    with server(**{"max-message-size": "4K"}) as isrv:
        r = put_script(isrv, "alice", SCRIPT)
        assert r.returncode == 0, r.stderr
        deliver_all(isrv)
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 8) == 8
        check_replace(m)
        check_enclose(m)
        check_order(m, isrv)
        check_chain(m, isrv)
        # enclosing a message near the limit makes one over it: the
        # original is filed, and the log says why
        big = PLAIN % ("huge", "h1")
        big = big.replace("The old text.", "y" * (4000 - len(big)))
        assert lmtp_send(isrv, "alice@example.org", big) == {}
        assert wait_count(m, "INBOX", 9) == 9
        assert stored(m, "INBOX", "huge") == big.encode()
        m.logout()
        assert isrv.srv.wait_log(r"sieve-edit: .*not made: over "
                                 r"max-message-size") is not None
