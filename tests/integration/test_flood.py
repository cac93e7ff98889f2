"""Silent connections on an implicit-TLS listener cost nothing: cloisterd
sets TCP_DEFER_ACCEPT there, so the kernel holds a connection that has sent
no byte, and no imapd is started for it, nor does it count against
max-per-ip or max-prelogin. A client that then speaks is served; one that
never does is handed over at the defer period's end and closed by the
pre-login deadline. STARTTLS listeners greet first and are not deferred.
No timing is asserted: the checks are counts of processes and answers."""
import socket
import time

from imap_util import ImapServer, client_context, need_stored

USERS = {"alice": "wonderland"}
SPARES = 2


def silent(port, n, src="127.0.0.1"):
    out = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        out.append(s)
    return out


def login_ok(srv):
    c = srv.raw_login("alice", kind="imaps")
    out = c.cmd("n1", "NOOP")
    assert out[-1] is not None and out[-1].startswith(b"n1 OK"), out
    return c


def test_silent_tls_connections_start_no_worker():
    if not need_stored():
        return
    with ImapServer(users=USERS, spares=SPARES, maxip=50) as srv:
        port = srv.port("imaps")
        # more than max-per-ip and max-prelogin (40), all from the address
        # the real client uses: had they been accepted, that client would
        # be refused (max-per-ip) and the supervisor would run ~50 imapd
        conns = silent(port, 120)
        c = login_ok(srv)
        kids = srv.imapd_pids()
        # the logged-in session, the spares, and one spare being replaced
        assert len(kids) <= SPARES + 2, (len(kids), kids)
        # a silent connection that starts speaking is served
        t = client_context().wrap_socket(conns.pop(0))
        t.settimeout(10)
        greeting = t.recv(4096)
        assert greeting.startswith(b"* OK"), greeting
        t.sendall(b'a LOGIN "alice" "wonderland"\r\n')
        buf = b""
        for _ in range(50):
            if b"a OK" in buf or b"a NO" in buf:
                break
            d = t.recv(4096)
            if not d:
                break
            buf += d
        assert b"a OK" in buf, buf
        assert len(srv.imapd_pids()) <= SPARES + 3
        t.close()
        c.close()
        for s in conns:
            s.close()


def test_starttls_listener_is_not_deferred():
    """The server speaks first on STARTTLS: a silent client gets the
    greeting without sending anything."""
    if not need_stored():
        return
    with ImapServer(users=USERS, spares=SPARES) as srv:
        s = silent(srv.port("imap"), 1)[0]
        assert s.recv(4096).startswith(b"* OK"), "no greeting"
        s.close()


def test_defer_period_end_closes_cheaply():
    """At the end of the defer period (prelogin-timeout, here 2 s, rounded
    up to the SYN-ACK retransmissions: 3 s) the kernel hands the silent
    connection over; the pre-login deadline then closes it."""
    if not need_stored():
        return
    with ImapServer(users=USERS, spares=SPARES, prelogin=2) as srv:
        s = silent(srv.port("imaps"), 1)[0]
        end = time.time() + 30
        closed = False
        while time.time() < end and not closed:
            s.settimeout(max(0.1, end - time.time()))
            try:
                closed = s.recv(4096) == b""
            except ConnectionResetError:
                closed = True
            except socket.timeout:
                break
        assert closed, "the silent connection was never closed"
        # the imapd that took it ended by itself
        line = srv.srv.wait_log(r"imapd: pid \d+ instance \d+ exited with "
                                r"status 0", timeout=10)
        assert line is not None, srv.srv.log[-20:]
        s.close()


def test_silent_https_connections_start_no_jmapd():
    """JMAP's HTTPS listener is implicit TLS too: 60 silent connections
    against max-processes 40 (had they been accepted, the real request
    would find no process left) start no jmapd."""
    if not need_stored():
        return
    from test_jmap_http import auth_header, client, server
    with server() as srv:
        conns = silent(srv.port("jmap"), 60)
        c = client(srv)
        c.request("GET", "/jmap/session", headers={"Authorization": auth_header()})
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body)
        c.close()
        kids = srv.srv.children("jmapd")
        assert len(kids) <= 2 + 2, len(kids)
        for s in conns:
            s.close()


def test_reload_moves_the_option_with_the_mode():
    """A listener kept across a reload takes the new mode's setting: the
    IMAPS address turned STARTTLS greets a silent client at once, and
    turned back it waits for the client again."""
    if not need_stored():
        return
    with ImapServer(users=USERS, spares=SPARES) as srv:
        port = srv.port("imaps")
        tls_line = "imaps tcp 127.0.0.1:%d tls" % port
        text = srv.srv.config_text
        assert tls_line in text, text

        def reload_with(line):
            with open(srv.srv.config_path, "w") as f:
                f.write(text.replace(tls_line, line))
            assert "reloaded" in (srv.srv.reload() or ""), srv.srv.log[-5:]

        reload_with("imaps tcp 127.0.0.1:%d starttls" % port)
        s = silent(port, 1)[0]
        assert s.recv(4096).startswith(b"* OK"), "no greeting"
        s.close()
        reload_with(tls_line)
        s = silent(port, 1)[0]
        c = login_ok(srv)   # served while the silent one is held
        assert len(srv.imapd_pids()) <= SPARES + 2
        s.settimeout(0.5)
        try:
            got = s.recv(4096)
        except socket.timeout:
            got = None
        assert got is None, got   # implicit TLS: nothing until a ClientHello
        c.close()
        s.close()
