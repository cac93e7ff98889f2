"""Delivered over LMTP, read over IMAP: the corpus
of tests/mime goes in through lmtpd, and imapd's FETCH ENVELOPE /
BODYSTRUCTURE / BODY answer for each message is byte for byte what Dovecot
answered for the same message (tests/mime/expected; the trace headers
lmtpd adds change neither); SEARCH TEXT and BODY find words of the bodies,
also inside quoted-printable, base64 and HTML parts."""
import imaplib
import os
import re

from harness import TOP, tool
from lmtp_util import Lmtp, lmtpd_block

CORPUS = os.path.join(TOP, "tests", "mime", "corpus")
EXPECTED = os.path.join(TOP, "tests", "mime", "expected")


def have_imap():
    import inspect
    try:
        tool("cloister-imapd")
        tool("cloister-stored")
        from imap_util import ImapServer   # the IMAP tests' helpers
        if "extra_services" in inspect.signature(ImapServer).parameters:
            return True
    except (FileNotFoundError, ImportError):
        pass
    print("SKIP: imapd (with its test helpers) is not in this tree yet")
    return False


def wire(data):
    out = b""
    for d in data:
        out += d[0] + b"\r\n" + d[1] if isinstance(d, tuple) else d
    return out


def fetch_item(m, uid, item):
    typ, data = m.uid("FETCH", str(uid), "(%s)" % item)
    assert typ == "OK", (typ, data)
    raw = wire(data)
    mt = re.search(rb"\(.*?" + item.encode() + rb" ", raw)
    assert mt, raw
    body = raw[mt.end():]
    # the item runs to the end of the response but for the closing paren
    # (UID may come before or after it)
    body = re.sub(rb"( UID \d+)?\)$", b"", body)
    return body


def test_corpus_delivered_over_lmtp_reads_back_over_imap_as_dovecot_would():
    if not have_imap():
        return
    from imap_util import ImapServer
    names = sorted(f[:-4] for f in os.listdir(CORPUS) if f.endswith(".eml"))
    msgs = []
    for n in names:
        with open(os.path.join(CORPUS, n + ".eml"), "rb") as f:
            data = f.read()
        if data.endswith(b"\r\n"):   # DATA ends on a line: skip the others
            msgs.append((n, data))
    assert len(msgs) >= 25
    with ImapServer(users={"alice": "wonderland"},
                    extra_services=[lmtpd_block()]) as isrv:
        c = Lmtp(unix=isrv.srv.paths["lmtp"])
        c.cmd("LHLO t")
        for n, data in msgs:
            ok, rr = c.deliver("sender@example.net", ["alice@example.org"],
                               data, lhlo=False)
            assert ok and ok[0][1].startswith("250 2.0.0"), (n, ok, rr)
        c.close()
        m = isrv.login("alice")
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) == len(msgs), data
        typ, data = m.uid("SEARCH", None, "ALL")
        uids = [int(x) for x in data[0].split()]
        assert len(uids) == len(msgs)
        mismatches = []
        for uid, (n, _data) in zip(uids, msgs):
            with open(os.path.join(EXPECTED, n + ".dovecot"), "rb") as f:
                want = f.read()
            for item in ("ENVELOPE", "BODYSTRUCTURE", "BODY"):
                got = fetch_item(m, uid, item)
                mt = re.search(rb"^" + item.encode() + rb" (.*?)(?=\n(ENVELOPE|BODY|BODYSTRUCTURE) |\n\Z)",
                               want, re.S | re.M)
                if got != mt.group(1):
                    mismatches.append("%s %s\n  imapd:   %r\n  dovecot: %r" % (
                        n, item, got[:300], mt.group(1)[:300]))
        assert not mismatches, "\n".join(mismatches)

        def search(*crit):
            typ, data = m.uid("SEARCH", None, *crit)
            assert typ == "OK", data
            return sorted(int(x) for x in data[0].split())
        by_name = dict(zip([n for n, _ in msgs], uids))
        # words of text bodies: plain, quoted-printable, base64, HTML,
        # and in a message forwarded inside another
        assert by_name["01-plain"] in search("TEXT", "usual")
        assert by_name["02-alternative"] in search("BODY", "everything")
        assert by_name["04-forward-rfc822"] in search("TEXT", "Heidi")
        assert by_name["17-calendar"] in search("BODY", "Standup")
        assert search("BODY", "zyzzyvaqq") == []
        m.logout()
