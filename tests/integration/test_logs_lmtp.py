"""lmtpd logs every decision on a recipient, with sender, recipient and
the code given: a delivery (size, message id, 250) and each refusal at
RCPT (550 5.1.1 unknown user, 552 5.2.2 over quota) and after the data
(552 5.2.2 over quota); swaks speaks LMTP over the unix socket."""
import os
import re
import socket
import subprocess
import time

from cloister_server import CloisterServer
from lmtp_util import Admin, Lmtp, have_store, lmtpd_block, stored_block

LINE = r"lmtpd/\d+\[\d+\]: info: "


def swaks(srv, to, body_file, sender="sender@example.net"):
    args = ["swaks", "--protocol", "LMTP", "--socket", srv.paths["lmtp"],
            "--from", sender, "--to", ",".join(to), "--helo",
            "mta.example.net", "--timeout", "30", "--data", body_file]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def test_every_recipient_decision_is_logged():
    if not have_store():
        return
    with CloisterServer([stored_block(), lmtpd_block()]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("alice")
        adm.user("erin")
        adm.quota("erin", storage=2000)
        path = os.path.join(srv.tmp, "msg.eml")
        with open(path, "w", newline="") as f:
            f.write("From: s@example.net\r\nSubject: hi\r\n"
                    "Message-ID: <m1@example.net>\r\n\r\nhello\r\n")
        start = len(srv.log)
        rc, out = swaks(srv, ["alice@example.org", "nobody@example.org"], path)
        assert rc == 0 or "550 5.1.1" in out, out
        line = srv.wait_log(LINE + r"delivered: client=unix"
                            r" from=sender@example\.net to=alice@example\.org"
                            r" user=alice size=\d+ msgid=<m1@example\.net>"
                            r" code=250 dsn=2\.0\.0$", start=start)
        assert line, "\n".join(srv.log[start:])
        assert srv.wait_log(LINE + r"rejected: client=unix"
                            r" from=sender@example\.net to=nobody@example\.org"
                            r" stage=rcpt code=550 dsn=5\.1\.1"
                            r" text=\"User doesn't exist\"$", start=start), \
            "\n".join(srv.log[start:])
        # and the connection's own line, with what it came to
        assert srv.wait_log(LINE + r"session end: client=unix"
                            r" lhlo=mta\.example\.net reason=quit"
                            r" duration=\d+\.\d{3}s in=\d+ out=\d+"
                            r" delivered=1 rejected=1$", start=start), \
            "\n".join(srv.log[start:])
        # over quota after the data (the size is not known at RCPT) ...
        big = os.path.join(srv.tmp, "big.eml")
        with open(big, "w", newline="") as f:
            f.write("Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 100)
        rc, out = swaks(srv, ["erin@example.org"], big, sender="<>")
        assert "552 5.2.2" in out, out
        assert srv.wait_log(LINE + r"rejected: client=unix from=<>"
                            r" to=erin@example\.org stage=data code=552"
                            r" dsn=5\.2\.2 text=\"Mailbox is full\"$",
                            start=start), "\n".join(srv.log[start:])
        # ... and at RCPT when MAIL FROM said SIZE
        c = Lmtp(unix=srv.paths["lmtp"])
        assert c.cmd("LHLO mta.example.net").startswith("250")
        assert c.cmd("MAIL FROM:<s@x> SIZE=100000").startswith("250")
        assert c.cmd("RCPT TO:<erin@example.org>").startswith("552 5.2.2")
        c.close()
        assert srv.wait_log(LINE + r"rejected: client=unix from=s@x"
                            r" to=erin@example\.org stage=rcpt code=552"
                            r" dsn=5\.2\.2", start=start), \
            "\n".join(srv.log[start:])
        # one line per decision: alice's delivery is not logged twice
        assert len([l for l in srv.log[start:]
                    if "to=alice@example.org" in l]) == 1
        # a port check (connect, close) is no event
        mark = len(srv.log)
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(srv.paths["lmtp"])
        probe.close()
        time.sleep(1)
        assert not [l for l in srv.log[mark:] if re.search(
            LINE + "session end: .* in=0 ", l)], srv.log[mark:]
        adm.close()
