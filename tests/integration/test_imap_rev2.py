"""IMAP4rev2 (RFC 9051) once a client sent ENABLE IMAP4rev2, item by item
of its Appendix E, over raw sockets (imaplib cannot enable IMAP4rev2 and
still read the answers), each next to what the same server says to an
IMAP4rev1 session that did not enable it. Runs a real cloisterd with
authd, stored and imapd (imap_util.ImapServer)."""
import base64
import re

from imap_util import ImapServer, need_stored

USERS = {"alice": "wonderland"}


def msg(subject, body="plain body\r\n", extra=""):
    return ("From: a@example.org\r\nTo: alice@example.org\r\n"
            "Subject: %s\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n%s\r\n%s"
            % (subject, extra, body)).encode()


def ok(out, tag):
    assert out[-1] is not None and out[-1].startswith(tag.encode() + b" OK"), out
    return out


def lines(out, rx):
    return [l for l in out[:-1] if l is not None and re.search(rx, l)]


def append(c, tag, data, mailbox="INBOX", flags=""):
    c.send(("%s APPEND %s %s{%d+}\r\n" % (tag, mailbox, flags, len(data))).encode()
           + data + b"\r\n")
    return ok(c.until_tagged(tag), tag)


def rev2(c):
    out = ok(c.cmd("E1", "ENABLE IMAP4rev2"), "E1")
    assert lines(out, rb"^\* ENABLED IMAP4rev2$"), out
    return c


def fill(srv, n=3):
    c = srv.raw_login("alice")
    for i in range(n):
        append(c, "A%d" % i, msg("m%d" % i))
    c.close()


def test_search_answers_esearch():
    """Appendix E: SEARCH returns ESEARCH; ALL assumed (RFC 9051 6.4.4)."""
    if not need_stored():
        return
    with ImapServer(users=USERS) as srv:
        fill(srv, 3)
        c = srv.raw_login("alice")
        ok(c.cmd("S0", "SELECT INBOX"), "S0")
        # rev1: the SEARCH response, as before
        out = ok(c.cmd("r1", "SEARCH ALL"), "r1")
        assert lines(out, rb"^\* SEARCH 1 2 3$"), out
        assert not lines(out, rb"ESEARCH"), out
        rev2(c)
        out = ok(c.cmd("t1", "SEARCH ALL"), "t1")
        assert not lines(out, rb"^\* SEARCH"), out
        assert lines(out, rb'^\* ESEARCH \(TAG "t1"\) ALL 1:3$'), out
        out = ok(c.cmd("t2", "UID SEARCH 2:3"), "t2")
        uids = lines(out, rb'^\* ESEARCH \(TAG "t2"\) UID ALL \d+:\d+$')
        assert uids, out
        out = ok(c.cmd("t3", "SEARCH SUBJECT nowhere-to-be-found"), "t3")
        assert out[:-1] == [b'* ESEARCH (TAG "t3")'], out
        out = ok(c.cmd("t4", "UID SEARCH SUBJECT nowhere-to-be-found"), "t4")
        assert out[:-1] == [b'* ESEARCH (TAG "t4") UID'], out
        # RETURN still chooses, and SAVE alone answers nothing (RFC 5182)
        out = ok(c.cmd("t5", "SEARCH RETURN (COUNT) ALL"), "t5")
        assert lines(out, rb'^\* ESEARCH \(TAG "t5"\) COUNT 3$'), out
        out = ok(c.cmd("t6", "SEARCH RETURN (SAVE) 2:3"), "t6")
        assert out[:-1] == [], out
        out = ok(c.cmd("t7", "FETCH $ (FLAGS)"), "t7")
        assert [l[:6] for l in lines(out, rb"FETCH")] == [b"* 2 FE", b"* 3 FE"], out
        out = ok(c.cmd("t8", "SEARCH $"), "t8")
        assert lines(out, rb'^\* ESEARCH \(TAG "t8"\) ALL 2:3$'), out
        # SORT keeps its own response
        out = ok(c.cmd("t9", "SORT (SUBJECT) UTF-8 ALL"), "t9")
        assert lines(out, rb"^\* SORT 1 2 3$"), out
        c.close()


def test_no_recent_unseen_and_select_list():
    """Appendix E: no RECENT response or \\Recent, no [UNSEEN n]; SELECT
    returns an untagged LIST; OK [CLOSED] on a second SELECT."""
    if not need_stored():
        return
    with ImapServer(users=USERS) as srv:
        fill(srv, 2)
        old = srv.raw_login("alice")
        out = ok(old.cmd("s1", "SELECT INBOX"), "s1")
        assert lines(out, rb"^\* 2 RECENT$"), out
        assert lines(out, rb"^\* OK \[UNSEEN 1\]"), out
        assert not lines(out, rb"^\* LIST"), out
        out = ok(old.cmd("f1", "FETCH 1 FLAGS"), "f1")
        assert lines(out, rb"\\Recent"), out
        # claimed recent, then ENABLE while selected: \Recent is gone
        rev2(old)
        out = ok(old.cmd("f2", "FETCH 1:2 FLAGS"), "f2")
        assert len(lines(out, rb"FETCH")) == 2, out
        assert not lines(out, rb"\\Recent"), out
        out = ok(old.cmd("f3", "SEARCH RECENT"), "f3")
        assert out[:-1] == [b'* ESEARCH (TAG "f3")'], out
        old.close()

        c = rev2(srv.raw_login("alice"))
        append(c, "a1", msg("new one"))
        out = ok(c.cmd("s2", "SELECT INBOX"), "s2")
        assert lines(out, rb"^\* 3 EXISTS$"), out
        assert not lines(out, rb"RECENT|UNSEEN"), out
        assert lines(out, rb'^\* LIST \(\) "/" "?INBOX"?$'), out
        assert not lines(out, rb"CLOSED"), out
        out = ok(c.cmd("f4", "FETCH 1:* FLAGS"), "f4")
        assert len(lines(out, rb"FETCH")) == 3 and not lines(out, rb"Recent"), out
        out = ok(c.cmd("s3", "EXAMINE INBOX"), "s3")
        assert lines(out, rb"^\* OK \[CLOSED\]"), out
        assert lines(out, rb'^\* LIST \(\) "/" "?INBOX"?$'), out
        # a message delivered meanwhile is told by EXISTS alone
        other = srv.raw_login("alice")
        append(other, "a2", msg("later"))
        other.close()
        out = ok(c.cmd("n1", "NOOP"), "n1")
        assert lines(out, rb"^\* 4 EXISTS$"), out
        assert not lines(out, rb"RECENT"), out
        c.close()


def test_status_deleted_size_and_list():
    """Appendix E: STATUS DELETED and SIZE; LIST-EXTENDED selection and
    return options, \\NonExistent and \\Subscribed, LIST-STATUS; LSUB is
    still served."""
    if not need_stored():
        return
    with ImapServer(users=USERS) as srv:
        c = rev2(srv.raw_login("alice"))
        data = msg("sized")
        append(c, "a1", data, "Drafts", "(\\Deleted) ")
        append(c, "a2", msg("kept"), "Drafts")
        out = ok(c.cmd("st", "STATUS Drafts (MESSAGES DELETED SIZE UNSEEN)"), "st")
        m = lines(out, rb'^\* STATUS "?Drafts"? \(MESSAGES 2 UNSEEN 2 DELETED 1 '
                  rb"SIZE (\d+)\)$")
        assert m, out
        size = int(re.search(rb"SIZE (\d+)", m[0]).group(1))
        assert size == len(data) + len(msg("kept")), (size, out)
        ok(c.cmd("c1", 'CREATE "Grüße/Kind"'), "c1")
        ok(c.cmd("u1", "SUBSCRIBE Gone"), "u1")
        ok(c.cmd("u2", 'SUBSCRIBE "Grüße/Kind"'), "u2")
        out = ok(c.cmd("l1", 'LIST (SUBSCRIBED) "" "*"'), "l1")
        assert lines(out, rb'^\* LIST \(\\NonExistent \\Subscribed\) "/" "?Gone"?$'), out
        assert lines(out, "^\\* LIST \\(.*\\\\Subscribed\\) \"/\" \"?Grüße/Kind"
                     .encode()), out
        out = ok(c.cmd("l2", 'LIST "" "*" RETURN (SUBSCRIBED CHILDREN)'), "l2")
        assert lines(out, "^\\* LIST \\(\\\\HasChildren\\) \"/\" \"?Grüße\"?$"
                     .encode()), out
        assert not lines(out, rb"Gone"), out
        out = ok(c.cmd("l3", 'LIST "" "Drafts" RETURN (STATUS (MESSAGES DELETED))'),
                 "l3")
        assert lines(out, rb'^\* STATUS "?Drafts"? \(MESSAGES 2 DELETED 1\)$'), out
        out = ok(c.cmd("l4", 'LSUB "" "*"'), "l4")
        assert lines(out, rb'^\* LSUB \(.*\) "/" "?Gone"?$'), out
        # rev1 sees the same name in modified UTF-7
        v1 = srv.raw_login("alice")
        out = ok(v1.cmd("l5", 'LIST "" "Gr*"'), "l5")
        assert lines(out, rb"Gr&APwA3w-e"), out
        v1.close()
        c.close()


def test_binary_unselect_move_codes():
    """Appendix E: FETCH BINARY, UNSELECT, MOVE with COPYUID, TRYCREATE,
    the CAPABILITY code at login, HASCHILDREN."""
    if not need_stored():
        return
    with ImapServer(users=USERS) as srv:
        c = srv.raw(kind="imaps")
        out = c.cmd("L0", 'LOGIN "alice" "wonderland"')
        assert re.match(rb"L0 OK \[CAPABILITY [^]]*IMAP4rev2", out[-1]), out
        rev2(c)
        raw = bytes(range(256))
        body = ("--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
                "Content-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n"
                % base64.b64encode(raw).decode())
        append(c, "a1", msg("bin", body, "MIME-Version: 1.0\r\nContent-Type: "
                          "multipart/mixed; boundary=b\r\n"))
        out = append(c, "a2", msg("other", "gr\u00fc\u00dfe heute\r\n"))
        assert re.match(rb"a2 OK \[APPENDUID \d+ 2\]", out[-1]), out
        ok(c.cmd("s1", "SELECT INBOX"), "s1")
        # UTF-8 search strings (RFC 9051 6.4.4: UTF-8 must be supported)
        out = ok(c.cmd("u0", 'SEARCH CHARSET UTF-8 BODY "gr\u00fc\u00dfe"'), "u0")
        assert lines(out, rb'^\* ESEARCH \(TAG "u0"\) ALL 2$'), out
        out = ok(c.cmd("b1", "FETCH 1 (BINARY.SIZE[2] BINARY[2])"), "b1")
        got = out[0]
        assert b"BINARY.SIZE[2] 256" in got, out
        assert b"BINARY[2] ~{256}\r\n" + raw in got, out
        out = ok(c.cmd("b2", "FETCH 1 FLAGS"), "b2")
        assert b"\\Seen" in out[0], out     # BINARY, not BINARY.PEEK
        ok(c.cmd("k1", "STORE 2 +FLAGS.SILENT (\\Deleted)"), "k1")
        out = ok(c.cmd("x1", "UID EXPUNGE 1"), "x1")
        assert not lines(out, rb"EXPUNGE"), out    # UID 2 is not in 1
        out = ok(c.cmd("u1", "UNSELECT"), "u1")
        assert not lines(out, rb"EXPUNGE"), out
        out = ok(c.cmd("s2", "SELECT INBOX"), "s2")
        assert lines(out, rb"^\* 2 EXISTS$"), out
        out = c.cmd("m0", "MOVE 1 Nowhere")
        assert out[-1].startswith(b"m0 NO [TRYCREATE]"), out
        ok(c.cmd("c1", "CREATE Dest"), "c1")
        out = ok(c.cmd("m1", "MOVE 1 Dest"), "m1")
        assert lines(out, rb"^\* OK \[COPYUID \d+ \d+ \d+\]"), out
        assert lines(out, rb"^\* 1 EXPUNGE$"), out
        out = ok(c.cmd("m2", "UID MOVE 1:* Dest"), "m2")
        assert lines(out, rb"^\* OK \[COPYUID \d+ \d+ \d+\]"), out
        ok(c.cmd("c2", "CREATE Top/Sub"), "c2")
        ok(c.cmd("d1", "DELETE Top"), "d1")
        out = c.cmd("d2", "DELETE Top")
        assert out[-1].startswith(b"d2 NO [HASCHILDREN]"), out
        v1 = srv.raw_login("alice")
        out = v1.cmd("d3", "DELETE Top")
        assert out[-1].startswith(b"d3 NO [NONEXISTENT]"), out
        v1.close()
        c.close()
