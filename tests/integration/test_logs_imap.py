"""What imapd logs about a session, read from the log of a real server:
one line at the end of every session (user, client address and port,
duration, bytes, why it ended), logins refused for want of TLS, over-quota
APPEND/COPY, a failed TLS handshake in words; a port check is no error and
a user name cannot forge a line."""
import re
import socket
import time

from imap_util import ImapServer, need_stored

END = (r"imapd/\d+\[\d+\]: info: session end: user=%s client=127\.0\.0\.1"
       r" port=%d reason=%s duration=\d+\.\d{3}s in=(\d+) out=(\d+)"
       r" auth_failures=\d+$")


def _lines_about(srv, port, start=0):
    return [l for l in srv.srv.log[start:] if "port=%d " % port in l]


def test_login_select_logout_ends_with_one_line():
    if not need_stored():
        return
    with ImapServer(users={"alice": "wonderland"}) as srv:
        m = srv.login("alice")
        port = m.sock.getsockname()[1]
        m.select("INBOX")
        m.logout()
        line = srv.srv.wait_log(END % ("alice", port, "logout"))
        assert line, "\n".join(srv.srv.log[-20:])
        assert srv.srv.wait_log(r"imapd/\d+\[\d+\]: info: login: user=alice"
                                r" client=127\.0\.0\.1 tls=TLSv1\.[23]/\S+$")
        got = re.search(END % ("alice", port, "logout"), line)
        assert int(got.group(1)) > 30 and int(got.group(2)) > 100, line
        time.sleep(0.3)
        assert len([l for l in _lines_about(srv, port)
                    if "session end" in l]) == 1


def test_a_client_that_closes_before_login():
    with ImapServer() as srv:
        c = srv.raw("plain")
        port = c.s.getsockname()[1]
        c.cmd("a", "CAPABILITY")
        c.close()
        assert srv.srv.wait_log(END % ("-", port, "closed")), \
            "\n".join(srv.srv.log[-20:])


def test_prelogin_timeout_is_the_reason():
    with ImapServer(prelogin=1) as srv:
        c = srv.raw("plain")
        port = c.s.getsockname()[1]
        c.send("a NOOP\r\n")
        assert c.closed(10)
        assert srv.srv.wait_log(END % ("-", port, "prelogin-timeout")), \
            "\n".join(srv.srv.log[-20:])
        c.close()


def test_a_port_check_logs_no_error():
    with ImapServer() as srv:
        start = len(srv.srv.log)
        ports = []
        for kind in ("plain", "imaps"):
            s = socket.create_connection(("127.0.0.1", srv.port(kind)))
            ports.append(s.getsockname()[1])
            s.close()
        time.sleep(1.5)
        noisy = [l for l in srv.srv.log[start:] if "imapd/" in l and
                 not re.search(r"\]: debug: ", l) and
                 ("tls" in l or any("port=%d " % p in l for p in ports))]
        assert not noisy, noisy


def test_a_tls_handshake_with_another_protocol_is_one_readable_line():
    with ImapServer() as srv:
        start = len(srv.srv.log)
        s = socket.create_connection(("127.0.0.1", srv.port("imaps")))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.settimeout(10)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()
        rx = (r"imapd/\d+\[\d+\]: info: tls handshake failed: "
              r"client=127\.0\.0\.1 reason=\"http request")
        assert srv.srv.wait_log(rx, start=start), \
            "\n".join(srv.srv.log[start:])
        time.sleep(0.5)
        tls_lines = [l for l in srv.srv.log[start:] if "tls " in l]
        assert len(tls_lines) == 1, tls_lines
        # words, not a bare OpenSSL code
        assert not re.search(r"error:[0-9A-F]{8}", tls_lines[0]), tls_lines


def test_login_without_tls_is_refused_and_logged():
    with ImapServer() as srv:
        start = len(srv.srv.log)
        m = srv.imap("clear")
        port = m.sock.getsockname()[1]
        try:
            m.login("alice", "wonderland")
            raise AssertionError("LOGIN accepted without TLS")
        except m.error:
            pass
        c = srv.raw("imap")
        c.cmd("b", "AUTHENTICATE PLAIN")
        rx = (r"imapd/\d+\[\d+\]: info: login refused: user=- "
              r"client=127\.0\.0\.1 reason=no-tls command=LOGIN"
              r" attempted=alice$")
        assert srv.srv.wait_log(rx, start=start), \
            "\n".join(srv.srv.log[start:])
        assert srv.srv.wait_log(r"login refused: user=- client=127\.0\.0\.1"
                                r" reason=no-tls command=AUTHENTICATE"
                                r" mech=PLAIN$", start=start)
        m.logout()
        c.close()
        assert srv.srv.wait_log(END % ("-", port, "logout"), start=start)


def test_a_user_name_cannot_forge_a_log_line():
    with ImapServer() as srv:
        start = len(srv.srv.log)
        forged = (b"evil\r\n2026-01-01T00:00:00Z cloisterd[1]: info:"
                  b" forged\x1b[2J x=\"y\"")
        c = srv.raw("imap")
        c.send(b"a LOGIN {%d}\r\n" % len(forged))
        assert c.line().startswith(b"+")
        c.send(forged + b" pw\r\n")
        assert c.until_tagged("a")[-1].startswith(b"a NO [PRIVACYREQUIRED]")
        line = srv.srv.wait_log(r"login refused: .*attempted=", start=start)
        assert line, "\n".join(srv.srv.log[start:])
        assert line.endswith(r'attempted="evil\x0d\x0a2026-01-01T00:00:00Z'
                             r' cloisterd[1]: info: forged\x1b[2J x=\"y\""'), line
        assert not any(l.startswith("2026-01-01") or " forged" in l and
                       "attempted=" not in l for l in srv.srv.log[start:])
        c.close()


def test_over_quota_append_and_copy_are_logged():
    if not need_stored():
        return
    with ImapServer(stored_options={"quota-messages": "2"}) as srv:
        start = len(srv.srv.log)
        m = srv.login("alice")
        for i in range(2):
            typ, _ = m.append("INBOX", None, None,
                              b"Subject: %d\r\n\r\nbody\r\n" % i)
            assert typ == "OK"
        typ, data = m.append("INBOX", None, None, b"Subject: 3\r\n\r\nx\r\n")
        assert typ == "NO" and b"[OVERQUOTA]" in data[0], (typ, data)
        m.select("INBOX")
        typ, data = m.copy("1", "Archive")
        assert typ == "NO" and b"[OVERQUOTA]" in data[0], (typ, data)
        m.logout()
        for what in ("APPEND", "COPY"):
            assert srv.srv.wait_log(r"imapd/\d+\[\d+\]: info: over quota:"
                                    r" user=alice client=127\.0\.0\.1"
                                    r" command=%s$" % what, start=start), \
                "\n".join(srv.srv.log[start:])


def test_shutdown_and_kicked_are_reasons():
    if not need_stored():
        return
    srv = ImapServer(maxprelogin=1).start()
    try:
        m = srv.login("alice")
        port = m.sock.getsockname()[1]
        first = srv.raw("plain")   # before login: the oldest one
        first_port = first.s.getsockname()[1]
        second = srv.raw("plain")  # over max-prelogin: the first makes room
        assert first.closed(10)
        line = srv.srv.wait_log(r"imapd/\d+\[\d+\]: info: session end: user=-"
                                r" client=127\.0\.0\.1 reason=kicked"
                                r" max_prelogin=1$")
        assert line, "\n".join(srv.srv.log[-20:])
        # the worker was killed: no line of its own about that client
        assert not _lines_about(srv, first_port)
        srv.srv.stop()
        assert srv.srv.wait_log(END % ("alice", port, "shutdown")), \
            "\n".join(srv.srv.log[-20:])
        second.close()
    finally:
        srv.close()


def test_authd_writes_the_name_a_client_sent_as_one_token():
    """authd logs every failed login (imapd does not repeat it): the name
    the client sent is one token there too."""
    with ImapServer() as srv:
        start = len(srv.srv.log)
        c = srv.raw("imaps")
        # authd takes no blank or control byte in a name; '=' and '"' it does
        out = c.cmd("a", r'LOGIN "eve=x\"y" "wrong"')
        assert out[-1].startswith(b"a NO"), out
        line = srv.srv.wait_log(r"authd/\d+\[\d+\]: info: auth failed: ",
                                start=start)
        assert line, "\n".join(srv.srv.log[start:])
        assert r'user="eve=x\"y" ' in line, line
        assert " address=127.0.0.1 " in line, line
        # one line for the failure: imapd's own lines only end the session
        assert not any("imapd/" in l and "failed" in l
                       for l in srv.srv.log[start:]), srv.srv.log[start:]
        c.close()


def test_a_failed_starttls_handshake_is_the_reason():
    with ImapServer() as srv:
        start = len(srv.srv.log)
        c = srv.raw("imap")
        port = c.s.getsockname()[1]
        assert c.cmd("a", "STARTTLS")[-1].startswith(b"a OK")
        c.send(b"\x16\x03\x01\x00\x05hello")   # a record, not a ClientHello
        assert c.closed(10)
        c.close()
        assert srv.srv.wait_log(END % ("-", port, "tls-handshake"),
                                start=start), "\n".join(srv.srv.log[start:])
        tls = [l for l in srv.srv.log[start:] if "tls handshake failed:" in l]
        assert len(tls) == 1 and "client=127.0.0.1 reason=\"" in tls[0], tls


def test_a_tls_client_that_hangs_up_without_close_notify_just_closed():
    if not need_stored():
        return
    with ImapServer() as srv:
        start = len(srv.srv.log)
        c = srv.raw_login("alice", kind="imaps")
        port = c.s.getsockname()[1]
        c.s.close()   # no close_notify: what most clients do
        assert srv.srv.wait_log(END % ("alice", port, "closed"),
                                start=start), "\n".join(srv.srv.log[start:])
        assert not [l for l in srv.srv.log[start:] if "tls " in l], \
            srv.srv.log[start:]
