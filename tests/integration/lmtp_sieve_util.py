"""What the Sieve-at-delivery tests share: a server with imapd and lmtpd
(ImapServer), scripts installed with cloisterctl, deliveries with
Python's smtplib LMTP client, and the outbox (what lmtpd queued for
submitd) read from the store's registry."""
import glob
import os
import smtplib
import subprocess
import tempfile

from harness import tool
from lmtp_util import Lmtp, lmtpd_block, read_copy


def server(users=None, **lmtpd_options):
    """imapd, lmtpd (with these options) and a store that takes scripts
    of up to 1 MiB (the hostile corpus has big ones)."""
    from imap_util import ImapServer
    return ImapServer(users=users or {"alice": "wonderland", "bob": "builder"},
                      extra_services=[lmtpd_block(options=lmtpd_options)],
                      stored_options={"sieve-max-script-size": "1M"})


def ctl(isrv, *args, stdin=None):
    return subprocess.run([tool("cloisterctl"), "-c", isrv.srv.config_path] +
                          list(args), input=stdin, capture_output=True,
                          text=True, timeout=60)


def put_script(isrv, user, src, name="main", activate=True):
    """cloisterctl sieve put (compiled there) and activate; the result of
    put."""
    r = ctl(isrv, "sieve", "put", user, name, "-", stdin=src)
    if r.returncode == 0 and activate:
        a = ctl(isrv, "sieve", "activate", user, name)
        assert a.returncode == 0, a.stderr
    return r


def script_file(src):
    """A global script file (sieve-before / sieve-after)."""
    d = tempfile.mkdtemp(prefix="cloister-sieve-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "global.sieve")
    with open(path, "w") as f:
        f.write(src)
    os.chmod(path, 0o644)
    return path


def message(subject="hello", msgid=None, to="alice@example.org",
            frm="bob@example.net", extra="", body="Hi there.\r\n"):
    hdr = "From: %s\r\nTo: %s\r\nSubject: %s\r\n" % (frm, to, subject)
    if msgid:
        hdr += "Message-ID: <%s>\r\n" % msgid
    return hdr + extra + "\r\n" + body


def lmtp_send(isrv, rcpt, msg, sender="bob@example.net"):
    """One delivery through smtplib's LMTP client on the unix socket: {}
    when accepted, else smtplib's exception."""
    c = smtplib.LMTP(isrv.srv.paths["lmtp"])
    try:
        return c.sendmail(sender, [rcpt], msg.encode())
    finally:
        c.quit()


def lmtp_replies(isrv, rcpts, msg, sender="bob@example.net"):
    """One transaction, several recipients: {rcpt: reply} after DATA
    (LMTP answers per recipient; smtplib reads only the first)."""
    c = Lmtp(unix=isrv.srv.paths["lmtp"])
    try:
        ok, rr = c.deliver(sender, rcpts, msg)
        assert len(ok) == len(rcpts), rr
        return dict(ok)
    finally:
        c.close()


def outbox(isrv, shard=0):
    """[(user, mail_from, [rcpts], message bytes)] queued for submitd."""
    top = os.path.join(isrv.srv.roots["stored"], "data", "s%d" % shard)
    rows = read_copy(os.path.join(top, "registry.db"),
                     "SELECT id, user, mail_from, rcpts FROM outbox ORDER BY id")
    out = []
    for oid, user, mail_from, rcpts in rows:
        files = glob.glob(os.path.join(top, "**", "outbox", str(oid)),
                          recursive=True)
        data = open(files[0], "rb").read() if files else b""
        rl = [r.decode() for r in bytes(rcpts).split(b"\0") if r]
        out.append((user, mail_from, rl, data))
    return out


def have_sieve_ctl():
    try:
        r = subprocess.run([tool("cloisterctl"), "sieve"], capture_output=True,
                           text=True, timeout=10)
    except FileNotFoundError:
        return False
    if "sieve put" in r.stderr + r.stdout:   # the usage lists it
        return True
    print("SKIP: cloisterctl sieve is not in this tree yet")
    return False
