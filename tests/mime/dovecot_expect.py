#!/usr/bin/env python3
"""Record what Dovecot answers for every corpus message: APPEND it to a
fresh mailbox of a running Dovecot (the bench peers, bench/README.md: 127.0.0.1:3143,
bench / bench-pass-1, or HOST PORT USER PASS), FETCH ENVELOPE, BODY and
BODYSTRUCTURE, and write the wire bytes to tests/mime/expected/NAME.dovecot.
test_mime_corpus.py compares Cloister's MIME helper with these files, so
the reference stays checked in and the test needs no Dovecot to run."""
import imaplib
import os
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
EXPECTED = os.path.join(HERE, "expected")
ITEMS = ["ENVELOPE", "BODY", "BODYSTRUCTURE"]


def wire(data):
    """imaplib splits literals into (prefix, bytes) tuples: join them back
    into the bytes the server sent."""
    out = b""
    for d in data:
        if isinstance(d, tuple):
            out += d[0] + b"\r\n" + d[1]
        else:
            out += d
    return out


def fetch_item(imap, item):
    typ, data = imap.fetch("1", "(%s)" % item)
    assert typ == "OK", (typ, data)
    raw = wire(data)
    prefix = b"1 (" + item.encode() + b" "
    assert raw.startswith(prefix) and raw.endswith(b")"), raw
    return raw[len(prefix):-1]


def connect(host, port, user, password):
    imap = imaplib.IMAP4(host, port)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    imap.starttls(ssl_context=ctx)
    imap.login(user, password)
    return imap


def main(argv):
    host, port, user, password = (argv + ["127.0.0.1", "3143", "bench",
                                          "bench-pass-1"][len(argv):])[:4]
    imap = connect(host, int(port), user, password)
    os.makedirs(EXPECTED, exist_ok=True)
    box = "mimecorpus%d" % os.getpid()
    imap.create(box)
    try:
        for name in sorted(os.listdir(CORPUS)):
            if not name.endswith(".eml"):
                continue
            with open(os.path.join(CORPUS, name), "rb") as f:
                msg = f.read()
            imap.select(box)
            typ, _ = imap.append(box, None, None, msg)
            assert typ == "OK", (name, typ)
            lines = [item.encode() + b" " + fetch_item(imap, item)
                     for item in ITEMS]
            with open(os.path.join(EXPECTED, name[:-4] + ".dovecot"), "wb") as f:
                f.write(b"\n".join(lines) + b"\n")
            imap.store("1", "+FLAGS", "(\\Deleted)")
            imap.expunge()
            print("recorded", name)
    finally:
        imap.select("INBOX")
        imap.delete(box)
        imap.logout()


if __name__ == "__main__":
    main(sys.argv[1:])
