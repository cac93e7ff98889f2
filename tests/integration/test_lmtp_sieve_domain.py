"""Per-domain Sieve scripts at delivery (lmtpd's sieve-before-domain-dir
and sieve-after-domain-dir, docs/lmtpd.md "Global scripts"): real
deliveries with the LMTP clients of lmtp_sieve_util, the result read with
imaplib.

- a domain's before-script files spam into Junk for recipients of that
  domain (any case in the address) and not for another domain's, in the
  same transaction;
- the order is installation before, domain before, the user's, domain
  after, installation after; as in Pigeonhole, a script that cancels the
  implicit keep (here an explicit keep) ends the sequence, a stop ends
  only its own script (each script marks its passage with fileinto
  :copy);
- a domain script that does not compile, a symlink in the directory and a
  file name that is no lower-case domain stop lmtpd at start, naming the
  file (and the line and column);
- the user's active program is asked of the store once per transaction
  and user: two recipients that are the same user (user, user+detail)
  share one STORE_SIEVE_PROGRAM request (counted with strace)."""
import os
import shutil
import tempfile
import time

from cloister_ipc import T
from lmtp_sieve_util import (have_sieve_ctl, lmtp_replies, lmtp_send,
                             message, put_script, script_file, server)
from test_imap_keywords import sendmsg_calls
from test_lmtp_imap import have_imap

JUNK = """require ["fileinto"];
if header :is "X-Spam" "yes" { fileinto "Junk"; }
"""


def domain_dir(scripts):
    """A directory of DOMAIN.sieve files: {file name: source}."""
    d = tempfile.mkdtemp(prefix="cloister-domsieve-")
    os.chmod(d, 0o755)
    for name, src in scripts.items():
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(src)
        os.chmod(path, 0o644)
    return d


def marker(stage):
    """A script that files a copy into M-stage (the implicit keep stays),
    then, when the subject asks it to, stops or keeps explicitly (which
    cancels the implicit keep)."""
    return ('require ["fileinto", "mailbox", "copy"];\n'
            'fileinto :copy :create "M-%s";\n'
            'if header :contains "subject" "keep-%s" { keep; stop; }\n'
            'if header :contains "subject" "stop-%s" { stop; }\n'
            % (stage, stage, stage))


def boxes_holding(m, subject, boxes):
    """The mailboxes of boxes that hold a message with this subject."""
    out = []
    for box in boxes:
        typ, _ = m.select('"%s"' % box, readonly=True)
        if typ != "OK":
            continue
        typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
        if typ == "OK" and data[0].split():
            out.append(box)
    return out


def wait_messages(m, box, want, timeout=10):
    end = time.time() + timeout
    while True:
        typ, data = m.select('"%s"' % box, readonly=True)
        n = int(data[0]) if typ == "OK" else 0
        if n >= want or time.time() > end:
            return n
        time.sleep(0.05)


def test_a_domains_before_script_files_spam_for_that_domain_only():
    if not have_imap():
        return
    d = domain_dir({"example.org.sieve": JUNK})
    try:
        with server(**{"sieve-before-domain-dir": d}) as isrv:
            spam = message("cheap pills", extra="X-Spam: yes\r\n")
            # one transaction, two domains; the domain in any case
            rep = lmtp_replies(isrv, ["alice@EXAMPLE.Org",
                                      "bob@example.net"], spam)
            assert all(v.startswith("250") for v in rep.values()), rep
            a = isrv.login("alice")
            assert wait_messages(a, "Junk", 1) == 1
            assert boxes_holding(a, "cheap pills", ["INBOX", "Junk"]) == \
                ["Junk"]
            a.logout()
            b = isrv.login("bob")
            assert wait_messages(b, "INBOX", 1) == 1
            assert boxes_holding(b, "cheap pills", ["INBOX", "Junk"]) == \
                ["INBOX"]
            b.logout()
    finally:
        shutil.rmtree(d)


STAGES = ["ib", "db", "u", "da", "ia"]


def test_scripts_run_installation_domain_user_domain_installation():
    if not have_imap() or not have_sieve_ctl():
        return
    before, after = script_file(marker("ib")), script_file(marker("ia"))
    db = domain_dir({"example.org.sieve": marker("db")})
    da = domain_dir({"example.org.sieve": marker("da")})
    opts = {"sieve-before": before, "sieve-after": after,
            "sieve-before-domain-dir": db, "sieve-after-domain-dir": da}
    try:
        with server(**opts) as isrv:
            r = put_script(isrv, "alice", marker("u"))
            assert r.returncode == 0, r.stderr
            subjects = ["keep-%s" % s for s in STAGES] + \
                ["stop-%s" % s for s in STAGES]
            for subject in subjects:
                lmtp_send(isrv, "alice@example.org", message(subject))
            lmtp_send(isrv, "bob@example.net", message("plain"))
            boxes = ["M-" + s for s in STAGES]
            a = isrv.login("alice")
            assert wait_messages(a, "INBOX", len(subjects)) == len(subjects)
            for i, stage in enumerate(STAGES):
                # a script that cancels the implicit keep ends the
                # sequence: every script up to it ran, in order
                got = boxes_holding(a, "keep-%s" % stage, boxes)
                assert got == boxes[:i + 1], (stage, got)
                # a stop ends its own script only (as Pigeonhole)
                got = boxes_holding(a, "stop-%s" % stage, boxes)
                assert got == boxes, (stage, got)
            a.logout()
            # bob's domain has no scripts: the installation's alone
            b = isrv.login("bob")
            assert wait_messages(b, "INBOX", 1) == 1
            assert boxes_holding(b, "plain", boxes) == ["M-ib", "M-ia"]
            b.logout()
    finally:
        shutil.rmtree(db)
        shutil.rmtree(da)


def start_fails(opts, pattern):
    """lmtpd with these options does not start: the log line matching
    pattern, or an AssertionError with the log."""
    isrv = server(**opts)
    try:
        try:
            isrv.srv.start()
        except Exception:
            pass    # the server may not come up at all
        line = isrv.srv.wait_log(pattern, timeout=20)
        assert line is not None, "\n".join(isrv.srv.log[-30:])
        return line
    finally:
        isrv.close()


def test_a_domain_script_that_does_not_compile_stops_lmtpd():
    if not have_imap():
        return
    d = domain_dir({"example.org.sieve": JUNK,
                    "example.net.sieve": 'require "fileinto";\n'
                    'if header :is "a" { keep; }\n'})
    try:
        start_fails({"sieve-after-domain-dir": d},
                    r"sieve-after-domain-dir: .*/example\.net\.sieve: "
                    r"line 2, column \d+")
    finally:
        shutil.rmtree(d)


def test_a_symlink_in_the_domain_dir_is_refused():
    if not have_imap():
        return
    outside = script_file(JUNK)
    d = domain_dir({})
    os.symlink(outside, os.path.join(d, "example.org.sieve"))
    try:
        start_fails({"sieve-before-domain-dir": d},
                    r"sieve-before-domain-dir: .*/example\.org\.sieve: is a "
                    r"symlink")
    finally:
        shutil.rmtree(d)


def test_a_file_name_that_is_no_lower_case_domain_is_refused():
    if not have_imap():
        return
    d = domain_dir({"Example.org.sieve": JUNK})
    try:
        start_fails({"sieve-before-domain-dir": d},
                    r"sieve-before-domain-dir: .*/Example\.org\.sieve: not a "
                    r"lower-case domain name")
    finally:
        shutil.rmtree(d)


def program_requests(isrv, action):
    """STORE_SIEVE_PROGRAM requests lmtpd's workers send while action runs
    (sendmsg calls whose record starts with that type, traced)."""
    pids = [c.pid for c in isrv.srv.children("lmtpd")]
    want = "".join("\\\\x%02x" % b for b in
                   T["STORE_SIEVE_PROGRAM"].to_bytes(4, "big"))
    return sendmsg_calls(pids, action, match='iov_base="' + want)


def test_one_program_request_per_transaction_and_user():
    if not have_imap() or not have_sieve_ctl():
        return
    if shutil.which("strace") is None or os.geteuid() != 0:
        print("  (no strace or not root: requests not counted)")
        return
    with server() as isrv:
        for user in ("alice", "bob"):
            r = put_script(isrv, user, 'require ["fileinto", "mailbox"];\n'
                           'fileinto :create "Seen-by-script";\n')
            assert r.returncode == 0, r.stderr
        reps = []
        rcpts = ["alice@example.org", "bob@example.net",
                 "alice+news@example.org"]
        n = program_requests(isrv, lambda: reps.append(
            lmtp_replies(isrv, rcpts, message("shared", msgid="s@x"))))
        assert all(v.startswith("250") for v in reps[0].values()), reps
        # alice (two recipients, apart) once, bob once
        assert n == 2, "%d program requests for 2 users" % n
        # the next transaction asks again (a script may have changed)
        n = program_requests(isrv, lambda: reps.append(
            lmtp_replies(isrv, [rcpts[0], rcpts[2]], message("again"))))
        assert n == 1, "%d program requests for 1 user" % n
        a = isrv.login("alice")
        assert wait_messages(a, "Seen-by-script", 4) == 4
        a.logout()
