"""imapd against malformed input (unbalanced parentheses, huge and
negative literals, 8-bit garbage, unknown commands, commands in the wrong
state, lines past the limit): each gets BAD or NO, and the session goes on
or closes as RFC 9051 says. Also the pre-login limits: STARTTLS command
injection, LOGINDISABLED, no spooled literal and no continuation but for
LOGIN's small ones, and the pre-login deadline."""
import os
import select
import socket
import ssl
import time

from harness import worker_fds
from imap_util import ImapServer, RawClient, client_context

LIMITS = {"max-line": "4K", "max-command": "16K", "max-literal": "64K",
          "max-append": "64K"}


def alive(c, tag="zz"):
    """The session still answers."""
    out = c.cmd(tag, "NOOP")
    return out[-1] is not None and out[-1].startswith(tag.encode() + b" OK")


def send_until_closed(c, chunk, times):
    """Send chunk up to times times; the bytes sent before an error."""
    sent = 0
    try:
        for _ in range(times):
            c.s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    return sent


def status(lines):
    last = lines[-1]
    return None if last is None else last.split(b" ", 2)[1]


def test_malformed_corpus_keeps_session():
    """Each of these gets BAD (or NO) and the session goes on."""
    corpus = [
        # unbalanced parentheses
        (b"t1 ID (\"name\" \"x\"\r\n", b"BAD"),
        (b"t2 ID \"name\" \"x\")\r\n", b"BAD"),
        (b"t3 SEARCH ((ALL)\r\n", b"BAD"),
        # a negative literal is no literal: a bad line
        (b"t4 LOGIN {-5}\r\n", b"BAD"),
        # unknown commands and arguments
        (b"t5 FROBNICATE\r\n", b"BAD"),
        (b"t6 NOOP extra\r\n", b"BAD"),
        (b"t7 UID NOOP\r\n", b"BAD"),
        # commands in the wrong state (not authenticated)
        (b"t8 SELECT INBOX\r\n", b"BAD"),
        (b"t9 FETCH 1 FLAGS\r\n", b"BAD"),
        (b"t10 LIST \"\" *\r\n", b"BAD"),
        (b"t11 STARTTLS\r\n", b"BAD"),          # not on a plain listener
        # bad escapes, dates, numbers
        (b"t12 LOGIN \"a\\b\" c\r\n", b"BAD"),
        (b"t13 LOGIN a\r\n", b"BAD"),
        (b"t14 ENABLE\r\n", b"BAD"),
        # invalid SASL
        (b"t15 AUTHENTICATE PLAIN !!!\r\n", b"BAD"),
        (b"t16 AUTHENTICATE NOSUCHMECH\r\n", b"NO"),
    ]
    with ImapServer(imapd_options=LIMITS) as srv:
        c = srv.raw("plain")
        for line, want in corpus:
            c.send(line)
            tag = line.split(b" ", 1)[0].decode()
            out = c.until_tagged(tag)
            assert out[-1] is not None, (line, out)
            assert status(out) == want, (line, out)
        assert alive(c)
        # 8-bit garbage and a NUL: an untagged BAD, then on
        c.send(b"\xff\xfe\x00garbage\r\n")
        ln = c.line()
        assert ln is not None and ln.startswith(b"* BAD"), ln
        assert alive(c)
        # a huge synchronizing literal: refused before the client sends it
        out = c.cmd("h1", "LOGIN {99999999999}")
        assert out[-1].startswith(b"h1 BAD [TOOBIG]"), out
        assert alive(c)
        # a line past max-line: read to its end, answered, session goes on
        c.send(b"h2 LOGIN " + b"x" * 10000 + b" y\r\n")
        out = c.until_tagged("h2")
        assert out[-1].startswith(b"h2 BAD [TOOBIG]"), out
        assert alive(c)
        # ... even if it ends in a non-synchronizing literal, whose bytes
        # (a LOGOUT here) must not run as a command
        c.send(b"h3 LOGIN " + b"x" * 10000 + b" {11+}\r\nh4 LOGOUT\r\n\r\n")
        out = c.until_tagged("h3")
        assert out[-1].startswith(b"h3 BAD"), out
        assert alive(c, "h5")
        # nesting deeper than the limit
        out = c.cmd("h6", "SEARCH " + "(" * 100 + "ALL" + ")" * 100)
        assert status(out) == b"BAD", out
        # a synchronizing literal for a command that then fails to parse
        c.send(b"h7 LOGIN {3}\r\n")
        assert c.line().startswith(b"+ "), "no continuation"
        c.send(b"bob\r\n")
        out = c.until_tagged("h7")
        assert status(out) == b"BAD", out
        assert alive(c, "h8")
        c.close()


def test_fatal_input_closes():
    """Input after which the stream cannot be trusted: BYE and close."""
    with ImapServer(imapd_options=LIMITS) as srv:
        # a non-synchronizing literal past the limit: the bytes are on
        # their way and cannot be told from commands
        c = srv.raw("plain")
        c.send(b"f1 LOGIN {99999999999+}\r\n")
        out = c.until_tagged("f1")
        assert out[-1].startswith(b"f1 BAD [TOOBIG]"), out
        ln = c.line()
        assert ln is not None and ln.startswith(b"* BYE"), ln
        assert c.closed()
        # endless garbage without a line end: bounded, then closed
        c = srv.raw("plain")
        sent = send_until_closed(c, b"g" * 8192, 200)
        assert sent <= 200 * 8192
        got = b""
        while True:
            ln = c.line(timeout=5)
            if ln is None:
                break
            got += ln + b"\n"
        assert b"* BYE" in got, got
        assert c.closed()
        # too many bad commands in a row
        c = srv.raw("plain")
        # one write: the server reads all 25 before it closes after the
        # 20th, so its close is a FIN, not a reset that races our reads
        c.send(b"".join(b"b%d FROBNICATE\r\n" % i for i in range(25)))
        lines = []
        while True:
            ln = c.line(timeout=5)
            if ln is None:
                break
            lines.append(ln)
        assert any(l.startswith(b"* BYE") for l in lines), lines
        assert sum(1 for l in lines if b" BAD " in l) == 20, lines
        assert c.closed()


def test_starttls_rules():
    """LOGINDISABLED before TLS on a STARTTLS listener; STARTTLS drops what
    was pipelined in clear (no command injection); after TLS the plaintext
    mechanisms appear."""
    with ImapServer() as srv:
        c = srv.raw("imap")
        assert b"STARTTLS" in c.greeting and b"LOGINDISABLED" in c.greeting, \
            c.greeting
        assert b"AUTH=PLAIN" not in c.greeting
        out = c.cmd("s1", "LOGIN alice wonderland")
        assert out[-1].startswith(b"s1 NO"), out
        out = c.cmd("s2", "AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=")
        assert out[-1].startswith(b"s2 NO"), out
        # pipelined after STARTTLS, in clear: must be ignored
        c.send(b"s3 STARTTLS\r\ns4 LOGIN alice wonderland\r\n")
        out = c.until_tagged("s3")
        assert out[-1].startswith(b"s3 OK"), out
        raw = c.s
        raw.settimeout(10)
        tls = client_context().wrap_socket(raw)
        c.s = tls
        c.buf = b""
        out = c.cmd("s5", "CAPABILITY")
        assert not any(l and l.startswith(b"s4") for l in out), out
        caps = out[0]
        assert b"AUTH=PLAIN" in caps and b"LOGINDISABLED" not in caps, caps
        assert b"STARTTLS" not in caps, caps
        out = c.cmd("s6", "STARTTLS")
        assert out[-1].startswith(b"s6 BAD"), out
        c.close()
        # implicit TLS
        t = srv.raw("imaps")
        assert t.greeting.startswith(b"* OK") and b"AUTH=PLAIN" in t.greeting
        t.close()


def test_prelogin_timeout():
    with ImapServer(prelogin=2) as srv:
        c = srv.raw("plain")
        t0 = time.time()
        ln = c.line(timeout=15)
        assert ln is not None and ln.startswith(b"* BYE"), ln
        assert c.closed()
        assert time.time() - t0 < 14


def memfds(pids):
    """The spool memfds the given imapd processes hold."""
    return [(pid, t) for pid in pids for t in worker_fds(pid).values()
            if t.startswith("/memfd:imap-append")]


def test_no_literal_is_spooled_before_login():
    """An unauthenticated APPEND gets BAD, no continuation, and no memfd
    appears in any imapd; LOGIN's small literals still get theirs."""
    with ImapServer() as srv:
        for kind in ("plain", "imaps"):
            c = srv.raw(kind)
            c.send(b"a1 APPEND INBOX {41943040}\r\n")   # under max-literal
            ln = c.line()
            assert ln is not None and ln.startswith(b"a1 BAD"), ln
            # a client that does not wait for "+" sends anyway: these
            # bytes are then lines, each short, none kept
            c.send(b"x" * 4000 + b"\r\n")
            time.sleep(0.3)
            assert memfds(srv.imapd_pids()) == []
            out = c.cmd("a2", "APPEND INBOX {10}")
            assert out[-1].startswith(b"a2 BAD"), out
            assert not any(l.startswith(b"+") for l in out[:-1]), out
            assert alive(c)
            c.send(b"a3 LOGIN {5}\r\n")
            ln = c.line()
            assert ln is not None and ln.startswith(b"+ "), ln
            c.send(b"alice {2}\r\n")
            ln = c.line()
            assert ln is not None and ln.startswith(b"+ "), ln
            c.send(b"no\r\n")
            out = c.until_tagged("a3")
            assert out[-1].startswith(b"a3 NO"), out
            # what it was told: LITERAL- (RFC 7888), not LITERAL+
            assert b"LITERAL-" in c.greeting and b"LITERAL+" not in \
                c.greeting, c.greeting
            c.close()


def test_large_non_synchronizing_literal_before_login_closes():
    """LITERAL+ past LITERAL-'s 4 KiB before login: the bytes are on their
    way and cannot be refused, so BAD [TOOBIG] + BYE and close, before
    any is stored."""
    with ImapServer() as srv:
        c = srv.raw("plain")
        c.send(b"n1 APPEND INBOX {1048576+}\r\n")
        send_until_closed(c, b"m" * 65536, 16)
        out = c.until_tagged("n1")
        assert out[-1] is not None and out[-1].startswith(
            b"n1 BAD [TOOBIG]"), out
        ln = c.line()
        assert ln is not None and ln.startswith(b"* BYE"), ln
        assert c.closed()
        assert memfds(srv.imapd_pids()) == []
        # a small one is read like LITERAL- says
        c = srv.raw("plain")
        c.send(b"n2 ID (\"name\" {4+}\r\ntest)\r\n")
        out = c.until_tagged("n2")
        assert out[-1].startswith(b"n2 OK"), out
        c.close()


def test_login_deadline_is_absolute():
    """A client that sends a byte every second (a command that never
    ends, and then NOOPs) is closed at prelogin-timeout after connecting,
    not kept alive by its bytes; the TLS handshake counts too."""
    with ImapServer(prelogin=4) as srv:
        for kind in ("plain", "slow-noop"):
            c = srv.raw("plain")
            t0 = time.time()
            closed = False
            for i in range(12):
                tick = time.time()
                try:
                    c.s.sendall(b"a" if kind == "plain" else
                                b"n%d NOOP\r\n" % i)
                except OSError:
                    closed = True
                    break
                r, _, _ = select.select([c.s], [], [], 1.0)
                if r:
                    try:
                        d = c.s.recv(4096)
                    except OSError:
                        d = b""
                    c.buf += d
                    if not d:
                        closed = True
                        break
                time.sleep(max(0, 1.0 - (time.time() - tick)))
            elapsed = time.time() - t0
            assert closed, (kind, c.buf)
            assert elapsed < 7, (kind, elapsed)
            assert b"* BYE" in c.buf, c.buf
        # a TLS handshake that never finishes: closed at the deadline
        s = socket.create_connection(("127.0.0.1", srv.port("imaps")))
        t0 = time.time()
        s.sendall(b"\x16\x03\x01")      # the start of a record, then silence
        s.settimeout(10)
        try:
            d = s.recv(100)
        except OSError:
            d = b""
        assert d == b"" or d.startswith(b"\x15"), d
        assert time.time() - t0 < 7
        s.close()
