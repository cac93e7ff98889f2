"""The MIME helper against Dovecot: for every message of tests/mime/corpus,
cloister-mime-dump's ENVELOPE, BODY and BODYSTRUCTURE must be the bytes
Dovecot 2.3 sent for the same message (recorded in tests/mime/expected by
tests/mime/dovecot_expect.py from a running Dovecot). Where Cloister
deliberately answers differently, KNOWN_DIFFERENCES says so and why."""
import os
import subprocess

from harness import TOP, tool

CORPUS = os.path.join(TOP, "tests", "mime", "corpus")
EXPECTED = os.path.join(TOP, "tests", "mime", "expected")
ITEMS = [b"ENVELOPE", b"BODY", b"BODYSTRUCTURE"]

# name -> {item: reason}. Every entry must still differ (else remove it).
KNOWN_DIFFERENCES = {}


def split_items(raw):
    """'ENVELOPE x\nBODY y\nBODYSTRUCTURE z\n...' where x, y, z may hold
    literals with CRLF: cut at the known item names instead of lines."""
    out = {}
    pos = 0
    for i, item in enumerate(ITEMS):
        head = item + b" "
        assert raw.startswith(head, pos), (item, raw[pos:pos + 40])
        start = pos + len(head)
        if i + 1 < len(ITEMS):
            end = raw.index(b"\n" + ITEMS[i + 1] + b" ", start)
        else:
            end = raw.index(b"\n", start)
            # the BODYSTRUCTURE may hold literals: find the line that
            # ends it by matching parentheses outside strings
            end = structure_end(raw, start)
        out[item] = raw[start:end]
        pos = end + 1
    return out


def structure_end(raw, start):
    depth = 0
    i = start
    while i < len(raw):
        c = raw[i:i + 1]
        if c == b'"':
            i += 1
            while raw[i:i + 1] != b'"':
                i += 2 if raw[i:i + 1] == b"\\" else 1
        elif c == b"{":
            close = raw.index(b"}", i)
            n = int(raw[i + 1:close])
            i = close + 3 + n - 1
        elif c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise AssertionError("unbalanced BODYSTRUCTURE")


def dump(path):
    p = subprocess.run([tool("cloister-mime-dump"), path],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_corpus_matches_dovecot():
    names = sorted(f[:-4] for f in os.listdir(CORPUS) if f.endswith(".eml"))
    assert len(names) >= 20
    mismatches = []
    for name in names:
        with open(os.path.join(EXPECTED, name + ".dovecot"), "rb") as f:
            want = split_items(f.read())
        got = split_items(dump(os.path.join(CORPUS, name + ".eml")))
        for item in ITEMS:
            known = KNOWN_DIFFERENCES.get(name, {}).get(item.decode())
            if known:
                assert got[item] != want[item], \
                    "%s %s now matches Dovecot: drop its KNOWN_DIFFERENCES entry" % (name, item)
                continue
            if got[item] != want[item]:
                mismatches.append("%s %s\n  cloister: %r\n  dovecot:  %r" % (
                    name, item.decode(), got[item], want[item]))
    assert not mismatches, "\n".join(mismatches)
