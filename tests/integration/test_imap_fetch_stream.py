"""FETCH of many bodies: imapd asks the store for the message files in
batches (STORE_BODIES, one request and one reply for up to 32 files, the
next batch's request sent while this one is written), so a FETCH of 100
bodies costs a handful of store round trips, not one per message; what
reaches the client is byte-exact over plaintext and TLS: whole bodies
(small ones copied into the output, large ones sent from the file by
sendfile, or SSL_sendfile where the kernel has kTLS), partial BODY[]<a.b>,
BINARY, and a FETCH during which another session expunges; a FETCH that
stops mid-way leaves the store connection in step. Runs a real cloisterd
with authd, stored and imapd."""
import base64
import random
import re
import socket
import threading

from harness import Skip
from imap_util import ImapServer, need_stored
from test_imap_keywords import can_count, sendmsg_calls

USERS = {"alice": "wonderland", "bob": "builder"}
ITEM = re.compile(rb"(BODY\[[^\]]*\](?:<\d+>)?|BINARY\[[^\]]*\](?:<\d+>)?"
                  rb"|RFC822(?:\.[A-Z]+)?) ~?\{(\d+)\}\r\n")


def plain_message(i, size):
    rnd = random.Random(i)
    head = ("From: s%d@example.org\r\nTo: alice@example.org\r\n"
            "Subject: stream %d\r\nMessage-ID: <%d.stream@example.org>\r\n"
            "\r\n" % (i, i, i)).encode()
    line = b"".join(rnd.choice([b"alpha ", b"beta ", b"gamma ", b"\xe2\x82\xac "])
                    for _ in range(12)) + b"\r\n"
    body = (line * (size // len(line) + 1))[:size]
    return head + body


def mime_message(i, payload):
    b64 = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    return (b"From: s@example.org\r\nTo: alice@example.org\r\n"
            b"Subject: attachment %d\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
            b"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b"--XX\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" % i + b64 +
            b"--XX--\r\n")


def corpus():
    """100 messages: 200 B to 20 KB, two of 300 KB and 1 MB (sent from
    the file rather than copied), one with a base64 attachment."""
    sizes = [200 + (i * 997) % 20000 for i in range(97)]
    msgs = [plain_message(i, s) for i, s in enumerate(sizes)]
    msgs.append(plain_message(97, 300 * 1024))
    msgs.append(plain_message(98, 1024 * 1024 + 17))
    msgs.append(mime_message(99, bytes(range(256)) * 40))
    return msgs


def append_all(c, msgs):
    data = b"".join(b"p%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(m), m)
                    for i, m in enumerate(msgs))
    c.send(data)
    out = c.until_tagged("p%d" % (len(msgs) - 1), timeout=60)
    assert out[-1] is not None and b" OK" in out[-1], out[-3:]


def items_by_uid(out):
    """{uid: {item name: bytes}} from FETCH response lines."""
    res = {}
    for ln in out[:-1]:
        m = ln is not None and re.match(rb"\* \d+ FETCH \(UID (\d+) ", ln)
        if not m:
            continue
        got = res.setdefault(int(m.group(1)), {})
        pos = 0
        while True:
            it = ITEM.search(ln, pos)
            if not it:
                break
            n = int(it.group(2))
            got[it.group(1)] = ln[it.end():it.end() + n]
            pos = it.end() + n
    return res


def ok(out, tag):
    return out[-1] is not None and out[-1].startswith(tag.encode() + b" OK")


def selected(srv, kind, user="alice"):
    c = srv.raw_login(user, kind=kind, timeout=60)
    assert ok(c.cmd("s1", "SELECT INBOX"), "s1")
    return c


def test_a_fetch_of_100_bodies_costs_few_store_round_trips():
    """100 bodies: one STORE_FETCH for the metadata and one STORE_BODIES
    per 32 messages (at most 5 requests), where one request per message
    made 101."""
    if not can_count():
        return
    msgs = corpus()
    with ImapServer(users=USERS) as srv:
        c = selected(srv, "plain")
        append_all(c, msgs)
        assert ok(c.cmd("s2", "SELECT INBOX"), "s2")
        outs = []
        n = sendmsg_calls(srv.imapd_pids(), lambda: outs.append(
            c.cmd("f1", "UID FETCH 1:* BODY.PEEK[]", timeout=60)))
        got = items_by_uid(outs[0])
        assert ok(outs[0], "f1"), outs[0][-1]
        assert [got[u][b"BODY[]"] for u in sorted(got)] == msgs
        assert n <= 1 + (len(msgs) + 31) // 32, \
            "FETCH of %d bodies made %d store requests" % (len(msgs), n)
        c.close()


def check_exact(c, msgs):
    out = c.cmd("f1", "UID FETCH 1:* BODY.PEEK[]", timeout=60)
    assert ok(out, "f1"), out[-1]
    got = items_by_uid(out)
    assert sorted(got) == list(range(1, len(msgs) + 1)), sorted(got)
    for uid, m in enumerate(msgs, 1):
        assert got[uid][b"BODY[]"] == m, "UID %d differs" % uid
    # partial ranges: inside, across the end, past it; small and large
    for uid in (1, 50, 98, 99):
        m = msgs[uid - 1]
        for a, b in ((0, 1), (7, 100), (len(m) - 5, 100), (len(m) + 3, 10),
                     (1000, 300000)):
            out = c.cmd("f2", "UID FETCH %d BODY.PEEK[]<%d.%d>" % (uid, a, b))
            assert ok(out, "f2"), out[-1]
            got = items_by_uid(out)[uid]
            want = m[a:a + b]
            assert got.get(b"BODY[]<%d>" % a, b"") == want, (uid, a, b)
    # BINARY undoes the base64 of the attachment; BINARY[] is the message
    out = c.cmd("f3", "UID FETCH 100 (BINARY.PEEK[2] BINARY.PEEK[] "
                "BINARY.PEEK[2]<10.20>)")
    assert ok(out, "f3"), out[-1]
    got = items_by_uid(out)[100]
    payload = bytes(range(256)) * 40
    assert got[b"BINARY[2]"] == payload
    assert got[b"BINARY[]"] == msgs[99]
    assert got[b"BINARY[2]<10>"] == payload[10:30]


def test_bodies_are_byte_exact_over_plaintext_and_tls():
    if not need_stored():
        return
    msgs = corpus()
    with ImapServer(users=USERS) as srv:
        c = selected(srv, "plain")
        append_all(c, msgs)
        c.close()
        for kind in ("plain", "imaps"):
            c = selected(srv, kind)
            check_exact(c, msgs)
            c.close()


def test_a_fetch_while_another_session_expunges():
    """Every body that comes is the right one, whole, and the command
    ends OK, while another session expunges messages under it."""
    if not need_stored():
        return
    msgs = [plain_message(i, 1000 + (i * 331) % 9000) for i in range(400)]
    with ImapServer(users=USERS) as srv:
        c = selected(srv, "plain")
        append_all(c, msgs)
        assert ok(c.cmd("s2", "SELECT INBOX"), "s2")
        other = selected(srv, "plain")
        outs = []
        fetch = threading.Thread(target=lambda: outs.append(
            c.cmd("f1", "UID FETCH 1:* BODY.PEEK[]", timeout=60)))
        fetch.start()
        gone = set(range(2, 401, 3))
        for k, lo in enumerate(range(2, 401, 60)):
            uids = ",".join(str(u) for u in range(lo, min(lo + 60, 401), 3))
            assert ok(other.cmd("x%d" % k, "UID STORE %s +FLAGS.SILENT "
                                "(\\Deleted)" % uids), "x%d" % k)
            assert ok(other.cmd("e%d" % k, "EXPUNGE"), "e%d" % k)
        fetch.join(60)
        assert outs and ok(outs[0], "f1"), outs and outs[0][-1]
        got = items_by_uid(outs[0])
        for uid, body in got.items():
            assert body[b"BODY[]"] == msgs[uid - 1], "UID %d differs" % uid
        assert set(range(1, 401)) - gone <= set(got), "a kept message is missing"
        # afterwards the expunged ones are gone and the rest still exact
        assert ok(c.cmd("n1", "NOOP"), "n1")
        out = c.cmd("f2", "UID FETCH 1:* BODY.PEEK[]", timeout=60)
        got = items_by_uid(out)
        assert sorted(got) == sorted(set(range(1, 401)) - gone)
        assert all(got[u][b"BODY[]"] == msgs[u - 1] for u in got)
        other.close()
        c.close()


def test_a_refused_batch_leaves_the_store_connection_in_step():
    """BINARY of a part in an unknown encoding stops the FETCH (NO
    [UNKNOWN-CTE]) while the next batch's request is already out: its
    reply is read and dropped, and the session's next commands get their
    own answers."""
    if not need_stored():
        return
    msgs = [plain_message(i, 500) for i in range(80)]
    msgs[4] = msgs[4].replace(b"\r\n\r\n", b"\r\nMIME-Version: 1.0\r\n"
                              b"Content-Transfer-"
                              b"Encoding: x-unheard-of\r\n\r\n", 1)
    with ImapServer(users=USERS) as srv:
        c = selected(srv, "plain")
        append_all(c, msgs)
        assert ok(c.cmd("s2", "SELECT INBOX"), "s2")
        out = c.cmd("b1", "UID FETCH 1:* BINARY.PEEK[1]")
        assert out[-1].startswith(b"b1 NO [UNKNOWN-CTE]"), out[-1]
        out = c.cmd("f1", "UID FETCH 40:80 BODY.PEEK[]")
        assert ok(out, "f1"), out[-1]
        got = items_by_uid(out)
        assert sorted(got) == list(range(40, 81))
        assert all(got[u][b"BODY[]"] == msgs[u - 1] for u in got)
        c.close()


def kernel_has_tls():
    """Whether this kernel takes the "tls" upper layer (CONFIG_TLS)."""
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        with socket.create_connection(ls.getsockname()) as c:
            try:
                c.setsockopt(socket.IPPROTO_TCP, 31, b"tls")  # TCP_ULP
                return True
            except OSError:
                return False


def large_body_sendfiles(srv, kind):
    """sendfile calls of imapd for one 1 MB body over kind, checked exact."""
    big = plain_message(1, 1024 * 1024)
    c = selected(srv, kind)
    append_all(c, [big])
    assert ok(c.cmd("s2", "SELECT INBOX"), "s2")
    outs = []
    n = sendmsg_calls(srv.imapd_pids(), lambda: outs.append(
        c.cmd("f1", "UID FETCH 1 BODY.PEEK[]", timeout=60)), "sendfile")
    assert ok(outs[0], "f1"), outs[0][-1]
    assert items_by_uid(outs[0])[1][b"BODY[]"] == big
    c.close()
    return n


def test_plaintext_large_bodies_go_out_by_sendfile():
    """A body past the inline limit goes from the file to the socket
    (sendfile), not through imapd's memory."""
    if not can_count():
        return
    with ImapServer(users=USERS) as srv:
        assert large_body_sendfiles(srv, "plain") > 0, "no sendfile"


def test_tls_bodies_go_out_through_ktls_sendfile():
    """Where the kernel has kTLS, a large body over TLS leaves imapd by
    SSL_sendfile (sendfile(2) on the kTLS socket), byte-exact."""
    if not can_count():
        return
    if not kernel_has_tls():
        raise Skip("this kernel has no TLS upper layer (CONFIG_TLS, "
                   "setsockopt TCP_ULP \"tls\" fails): kTLS not tested")
    with ImapServer(users=USERS) as srv:
        assert large_body_sendfiles(srv, "imaps") > 0, \
            "no sendfile on a kTLS connection"
