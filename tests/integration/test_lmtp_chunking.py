"""lmtpd's CHUNKING (BDAT, RFC 3030) with chunks far larger than one read
of its line buffer: a 300 KB and a 2 MB chunk, pipelined with commands
before and after them, are delivered byte for byte and lmtpd answers
exactly the commands that were sent (a scan position lost across buffer
compaction once made it read before its buffer: a crash with 1-4 MB
chunks, ~20 "commands" taken from heap bytes with 300 KB)."""
import socket

from cloister_server import CloisterServer
from lmtp_util import (Admin, db_query, have_store, lmtpd_block, stored_block,
                       wait_counts)


def chunk(size, tag):
    """A message of exactly size bytes whose lines look like commands."""
    head = ("Subject: chunk %s\r\nMessage-ID: <%s@chunk.test>\r\n\r\n"
            % (tag, tag)).encode()
    fill = b"NOOP\r\nRSET\r\nMAIL FROM:<x@y>\r\nQUIT\r\n"
    body = (fill * (size // len(fill) + 1))[:size - len(head) - 2] + b"\r\n"
    return head + body


def replies_to_eof(sock):
    data = b""
    while True:
        d = sock.recv(65536)
        if not d:
            return data
        data += d


def test_bdat_chunks_of_300k_and_2m_are_delivered_and_answered_exactly():
    if not have_store():
        return
    with CloisterServer([stored_block(), lmtpd_block()]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("alice")
        sizes = {"k300": 300 * 1000, "m2": 2 * 1024 * 1024}
        msgs = {t: chunk(n, t) for t, n in sizes.items()}
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(srv.paths["lmtp"])
        # one write: every command pipelined, the chunks between them
        out = b"LHLO mta.test\r\n"
        for t, m in msgs.items():
            half = len(m) // 3
            out += (b"MAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\n"
                    b"BDAT %d\r\n" % half + m[:half] + b"NOOP\r\n" +
                    b"BDAT %d LAST\r\n" % (len(m) - half) + m[half:])
        out += b"QUIT\r\n"
        s.sendall(out)
        data = replies_to_eof(s)
        s.close()
        lines = data.decode().split("\r\n")
        assert lines[-1] == "", lines[-1:]
        finals = [l for l in lines[:-1] if l[3:4] == " "]
        # 220, LHLO, then per message MAIL, RCPT, BDAT, NOOP, BDAT LAST;
        # QUIT
        want = (["220", "250"] + ["250", "250", "250", "250", "250"] * 2 +
                ["221"])
        assert [l[:3] for l in finals] == want, finals
        assert sum("<alice@x> Saved" in l for l in finals) == 2, finals
        assert wait_counts(adm, "alice", {"INBOX": 2})["INBOX"] == 2
        for t, m in msgs.items():
            rows = db_query(srv, "alice",
                            "SELECT b.size FROM msgs m JOIN blobs b"
                            " ON b.id = m.blob JOIN blobhdr h ON h.id = b.id"
                            " WHERE h.msgid = ?", ("<%s@chunk.test>" % t,))
            assert len(rows) == 1, (t, rows)
            # the message plus lmtpd's trace fields (Return-Path,
            # Delivered-To, Received: a few hundred bytes)
            assert len(m) < rows[0][0] < len(m) + 1000, (t, rows, len(m))
        # lmtpd is alive and well: a next session works
        assert srv.children("lmtpd"), "no lmtpd left"
        adm.close()
