"""Users' Sieve scripts at delivery, end to end: scripts installed with
`cloisterctl sieve put/activate` (compiled there), messages delivered with
Python's smtplib LMTP client, the result read with imaplib.

- fileinto (:create, :flags, :copy), discard, reject (550 5.7.1 and the
  reason), a fileinto to a mailbox that does not exist (kept in INBOX),
  include of another of the user's scripts;
- a hostile corpus: each script is refused by the compiler, or it runs
  within its budget and the message still lands in INBOX (each ends in
  discard, so the message is in INBOX only because the run was stopped)."""
import os
import smtplib
import time

from lmtp_sieve_util import (have_sieve_ctl, lmtp_send, message, put_script,
                             script_file, server)
from test_lmtp_imap import have_imap
from test_lmtp_sieve_global import count, wait_count

SCRIPT = r"""require ["fileinto", "mailbox", "imap4flags", "reject", "copy",
  "include"];
if header :contains "subject" "project" {
  fileinto :create :flags ["\\Flagged", "urgent"] "Projects";
} elsif header :contains "subject" "nomailbox" {
  fileinto "DoesNotExist";
} elsif header :contains "subject" "junk" {
  discard;
} elsif header :contains "subject" "rejectme" {
  reject "I do not take mail about that.";
} elsif header :contains "subject" "copyme" {
  fileinto :copy :create "Copies";
} elsif header :contains "subject" "flagme" {
  addflag "\\Seen";
} elsif header :contains "subject" "included" {
  include :personal "sorting";
}
"""
SORTING = 'require ["fileinto", "mailbox"];\nfileinto :create "Included";\n'


def flags_of(m, box):
    m.select('"%s"' % box, readonly=True)
    typ, data = m.fetch("1:*", "(FLAGS)")
    assert typ == "OK", data
    return [d.decode() for d in data if d]


def test_user_script_actions():
    if not have_imap() or not have_sieve_ctl():
        return
    with server() as isrv:
        r = put_script(isrv, "alice", SORTING, name="sorting", activate=False)
        assert r.returncode == 0, r.stderr
        r = put_script(isrv, "alice", SCRIPT)
        assert r.returncode == 0, r.stderr
        for subj in ("project alpha", "nomailbox", "junk", "copyme",
                     "flagme", "included", "plain"):
            assert lmtp_send(isrv, "alice@example.org", message(subj)) == {}
        try:
            lmtp_send(isrv, "alice@example.org", message("rejectme"))
            raise AssertionError("a rejected message was accepted")
        except smtplib.SMTPDataError as e:
            assert e.smtp_code == 550 and e.smtp_error == \
                b"5.7.1 <alice@example.org> I do not take mail about that.", e
        m = isrv.login("alice")
        # INBOX: nomailbox (kept: no such mailbox), copyme (:copy keeps),
        # flagme, plain
        assert wait_count(m, "INBOX", 4) == 4
        assert count(m, "Projects") == 1 and count(m, "Copies") == 1
        assert count(m, "Included") == 1
        f = flags_of(m, "Projects")[0]
        assert "\\Flagged" in f and "urgent" in f, f
        assert any("\\Seen" in x for x in flags_of(m, "INBOX"))
        m.logout()
        assert isrv.srv.wait_log(r"sieve-fileinto: .*mailbox=DoesNotExist "
                                 r"refused.*kept in INBOX") is not None


EXISTS = r"""require ["fileinto", "mailbox"];
if mailboxexists "Work" { fileinto "Work"; stop; }
if mailboxexists ["Work", "Missing"] { fileinto :create "Both"; }
"""


def test_mailboxexists_sees_the_recipients_mailboxes():
    """mailboxexists asks the store at delivery: false until the user
    creates the mailbox over IMAP, then true; a list is true only when
    every name exists."""
    if not have_imap() or not have_sieve_ctl():
        return
    with server() as isrv:
        r = put_script(isrv, "alice", EXISTS)
        assert r.returncode == 0, r.stderr
        assert lmtp_send(isrv, "alice@example.org", message("before")) == {}
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 1) == 1
        typ, data = m.create("Work")
        assert typ == "OK", data
        assert lmtp_send(isrv, "alice@example.org", message("after")) == {}
        assert wait_count(m, "Work", 1) == 1
        # bob has no Work: his message stays in INBOX
        r = put_script(isrv, "bob", EXISTS)
        assert r.returncode == 0, r.stderr
        assert lmtp_send(isrv, "bob@example.org",
                         message("bob's", to="bob@example.org")) == {}
        assert count(m, "INBOX") == 1
        assert m.select("Both")[0] == "NO"
        m.logout()
        b = isrv.login("bob")
        assert wait_count(b, "INBOX", 1) == 1
        assert b.select("Work")[0] == "NO"
        b.logout()


# name -> script: refused by the compiler, or stopped by the run's budget
HOSTILE = {
    "deep nesting": "if true {" * 40 + "keep;" + "}" * 40,
    "huge string": 'require "fileinto";\nfileinto "%s";\n' % ("x" * 70000),
    "back-reference": 'require "regex";\nif header :regex "subject" '
                      '"(a*)\\\\1" { discard; }\n',
    "ten thousand rules": 'require "fileinto";\n' + "".join(
        'if header :is "x-r%d" "v" { fileinto "r%d"; }\n' % (i, i)
        for i in range(10000)) + "discard;\n",
    "catastrophic regex": 'require "regex";\n' + "".join(
        'if header :regex "subject" "^(a|a?)+(b|aa%d)*$" { stop; }\n' % i
        for i in range(100)) + "discard;\n",
    "variable blow-up": 'require "variables";\nset "a" "%s";\n' % ("x" * 1000) +
                        'set "a" "${a}${a}";\n' * 200 + "discard;\n",
    "include loop": 'require "include";\ninclude :personal "main";\n'
                    "discard;\n",
    "long comparisons": "".join(
        'if header :contains "subject" "%s%d" { keep; }\n' % ("b" * 500, i)
        for i in range(100)) + "discard;\n",
}


def test_hostile_scripts_are_refused_or_stopped_and_the_mail_lands():
    if not have_imap() or not have_sieve_ctl():
        return
    with server() as isrv:
        refused, stopped = [], []
        for i, (name, src) in enumerate(sorted(HOSTILE.items())):
            r = put_script(isrv, "alice", src)
            if r.returncode != 0:
                assert "line " in r.stderr and "column " in r.stderr, \
                    (name, r.stderr)
                refused.append(name)
                continue
            start = len(isrv.srv.log)
            t0 = time.time()
            subject = "a" * 3000 + " hostile %d" % i
            assert lmtp_send(isrv, "alice@example.org",
                             message(subject)) == {}, name
            took = time.time() - t0
            m = isrv.login("alice")
            assert wait_count(m, "INBOX", len(stopped) + 1) == \
                len(stopped) + 1, name
            m.logout()
            assert took < 5, (name, took)
            # the log says why the run stopped
            why = isrv.srv.wait_log(r"sieve-error: .*failed: ", timeout=5,
                                    start=start)
            assert why is not None, name
            stopped.append("%s (%s)" % (name, why.split("failed: ")[1]))
        # the compiler's limits and the run's budgets both had work
        assert {"deep nesting", "huge string", "back-reference"} <= \
            set(refused), refused
        assert {"variable blow-up", "include loop", "catastrophic regex",
                "long comparisons"} <= \
            set(s.split(" (")[0] for s in stopped), stopped
        print("refused: %s; stopped by the budget: %s" % (refused, stopped))


def test_include_global_finds_the_scripts_of_sieve_global_dir():
    if not have_imap() or not have_sieve_ctl():
        return
    spam = script_file('require ["fileinto", "mailbox"];\n'
                       'if header :is "X-Spam" "yes" { fileinto :create "Spam"; '
                       'stop; }\n')
    gdir = os.path.dirname(spam)
    os.rename(spam, os.path.join(gdir, "spam.sieve"))
    with server(**{"sieve-global-dir": gdir}) as isrv:
        r = put_script(isrv, "alice", 'require ["include", "fileinto"];\n'
                       'include :global "spam";\n'
                       'if header :contains "subject" "missing" '
                       '{ include :global "nosuch"; discard; }\n')
        assert r.returncode == 0, r.stderr
        lmtp_send(isrv, "alice@example.org", message("spam", extra="X-Spam: yes\r\n"))
        lmtp_send(isrv, "alice@example.org", message("ham"))
        # a global script that is not there: a run-time error, kept
        lmtp_send(isrv, "alice@example.org", message("missing"))
        m = isrv.login("alice")
        assert wait_count(m, "INBOX", 2) == 2
        assert count(m, "Spam") == 1
        m.logout()
