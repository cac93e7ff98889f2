"""Mail a Sieve script sends at delivery: vacation (RFC 5230, 6131),
redirect and notify (mailto), queued in the store's outbox for submitd
(read here from the registry, as submitd would claim it). Deliveries go
through Python's smtplib LMTP client; the script is lmtpd's sieve-before,
so the same rules hold for every user's script.

- vacation answers a sender once per period, from the recipient, to the
  sender, with a null envelope sender, Auto-Submitted: auto-replied and
  In-Reply-To; never a null sender, MAILER-DAEMON, owner-/-request, a
  list (List-Id, Precedence: bulk), an Auto-Submitted message, a message
  not addressed to the user (or to one of :addresses), the user's own;
- redirect queues the message with the loop marker; a message that
  carries our marker is kept instead, and so is one over the per-user
  daily limit;
- notify queues an auto-notified message to the mailto address.
Every message is also in INBOX (or not, for a redirect) as the rules say."""
import time

from lmtp_sieve_util import lmtp_send, message, outbox, script_file, server
from lmtp_util import Lmtp
from test_lmtp_imap import have_imap
from test_lmtp_sieve_global import wait_count

SCRIPT = """require ["vacation", "enotify"];
if header :contains "subject" "fwd" {
  redirect "elsewhere@example.com";
} elsif header :contains "subject" "page" {
  notify :message "Paged" "mailto:pager@example.com";
} else {
  vacation :days 1 :subject "Away until Monday"
    :addresses ["alias@example.org"] "I am away.";
}
"""


def wait_outbox(isrv, n, timeout=5):
    end = time.time() + timeout
    while True:
        got = outbox(isrv)
        if len(got) >= n or time.time() > end:
            return got
        time.sleep(0.05)


def test_vacation_answers_once_per_sender_and_never_a_robot_or_list():
    if not have_imap():
        return
    with server(**{"sieve-before": script_file(SCRIPT)}) as isrv:
        send = lambda sender, msg: lmtp_send(isrv, "alice@example.org", msg,
                                             sender=sender)
        send("carol@example.net", message("Lunch?", msgid="c1@example.net"))
        got = wait_outbox(isrv, 1)
        assert len(got) == 1, got
        user, mail_from, rcpts, data = got[0]
        assert (user, mail_from, rcpts) == ("alice", "", ["carol@example.net"])
        for want in (b"From: <alice@example.org>\r\n",
                     b"To: <carol@example.net>\r\n",
                     b"Subject: Away until Monday\r\n",
                     b"In-Reply-To: <c1@example.net>\r\n",
                     b"Auto-Submitted: auto-replied",
                     b"\r\n\r\nI am away.\r\n"):
            assert want in data, (want, data)
        # the same sender again within :days: no second answer
        send("carol@example.net", message("Lunch again?"))
        # never: bounces, list software, lists, robots, mail not to alice
        send("", message("bounce"))
        send("MAILER-DAEMON@example.net", message("bounce 2"))
        send("owner-list@example.net", message("list owner"))
        send("list-request@example.net", message("list request"))
        send("erin@example.net", message("list", extra="List-Id: <l.example>\r\n"))
        send("frank@example.net", message("bulk", extra="Precedence: bulk\r\n"))
        send("gina@example.net", message("robot",
                                         extra="Auto-Submitted: auto-generated\r\n"))
        send("hank@example.net", message("bcc'd", to="team@example.org"))
        send("alice@example.org", message("to myself"))
        # :addresses: mail to the alias is answered
        send("ivan@example.net", message("to the alias", to="alias@example.org"))
        time.sleep(0.3)
        got = outbox(isrv)
        assert [g[2] for g in got] == [["carol@example.net"],
                                      ["ivan@example.net"]], \
            [(g[1], g[2]) for g in got]
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 12) == 12   # vacation keeps the mail
        m.logout()


def test_redirect_carries_the_loop_marker_and_the_daily_limit_holds():
    if not have_imap():
        return
    with server(**{"sieve-before": script_file(SCRIPT),
                   "sieve-redirects-per-day": "2"}) as isrv:
        lmtp_send(isrv, "alice@example.org", message("fwd 1"),
                  sender="carol@example.net")
        got = wait_outbox(isrv, 1)
        assert len(got) == 1, got
        user, mail_from, rcpts, data = got[0]
        # not the original sender, which the store cannot check: <> here,
        # the user's own address when the user's name is one
        assert (user, mail_from, rcpts) == \
            ("alice", "", ["elsewhere@example.com"])
        assert data.startswith(b"X-Cloister-Loop: mx.test\r\n"), data[:200]
        assert b"Subject: fwd 1\r\n" in data
        # it came back: kept, not sent again
        lmtp_send(isrv, "alice@example.org",
                  message("fwd looped", extra="X-Cloister-Loop: mx.test\r\n"))
        lmtp_send(isrv, "alice@example.org", message("fwd 2"))
        # the third of the day is over the limit of 2: kept
        lmtp_send(isrv, "alice@example.org", message("fwd 3"))
        time.sleep(0.3)
        got = outbox(isrv)
        assert len(got) == 2 and b"Subject: fwd 2\r\n" in got[1][3], got
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 2) == 2
        for subject in ('"fwd looped"', '"fwd 3"'):
            typ, data = m.search(None, "SUBJECT", subject)
            assert data[0].split(), (subject, data)
        m.logout()
        assert isrv.srv.wait_log(r"sieve-redirect: .*refused: 2 redirects"
                                 r" today") is not None


def test_notify_queues_an_auto_notified_message():
    if not have_imap():
        return
    with server(**{"sieve-before": script_file(SCRIPT)}) as isrv:
        lmtp_send(isrv, "alice@example.org", message("page me"))
        got = wait_outbox(isrv, 1)
        assert len(got) == 1, got
        _, mail_from, rcpts, data = got[0]
        assert mail_from == "" and rcpts == ["pager@example.com"], got
        assert b"Auto-Submitted: auto-notified\r\n" in data, data
        assert b"To: <pager@example.com>\r\n" in data
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 1) == 1
        m.logout()


def test_a_short_vacation_period_is_held_to_the_servers_minimum():
    if not have_imap():
        return
    short = script_file('require ["vacation", "vacation-seconds"];\n'
                        'vacation :seconds 1 "brb";\n')
    for minimum, replies in (("86400", 1), ("0", 2)):
        with server(**{"sieve-before": short,
                       "sieve-vacation-min-period": minimum}) as isrv:
            for _ in range(2):
                lmtp_send(isrv, "alice@example.org", message("ping"),
                          sender="carol@example.net")
                time.sleep(1.2)
            assert len(wait_outbox(isrv, replies)) == replies, minimum


def test_a_message_with_bare_line_ends_is_not_redirected():
    if not have_imap():
        return
    with server(**{"sieve-before": script_file(SCRIPT),
                   "accept-bare-lf": "yes"}) as isrv:
        # BDAT keeps the bytes as sent: a bare LF, and a dot line after it
        data = (b"From: bob@example.net\r\nTo: alice@example.org\r\n"
                b"Subject: fwd bare\r\n\r\nline\n.\nMAIL FROM:<x@y>\r\n")
        c = Lmtp(unix=isrv.srv.paths["lmtp"])
        assert c.cmd("LHLO t").startswith("250")
        assert c.cmd("MAIL FROM:<bob@example.net>").startswith("250")
        assert c.cmd("RCPT TO:<alice@example.org>").startswith("250")
        c.send(b"BDAT %d LAST\r\n" % len(data) + data)
        assert c.reply().startswith("250"), "BDAT"
        c.close()
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 1) == 1
        m.logout()
        assert outbox(isrv) == []
        assert isrv.srv.wait_log(r"sieve-redirect: .*refused: a bare CR or LF")
