"""Who may speak LMTP. Anyone who reaches an LMTP port can deliver to every
user, so TCP is opt-in: lmtpd serves a TCP client only if its address (as
cloisterd saw it at accept) is in the service's `allow-clients`; everyone
else gets `421 4.7.0` and the connection is closed before a byte of theirs
is read. The unix socket, guarded by its mode, is always served."""
import socket
import time

from cloister_server import CloisterServer
from lmtp_util import Admin, Lmtp, have_store, lmtpd_block, stored_block, wait_counts


def tcp_session(port, pipelined=b"", host="127.0.0.1"):
    """Connect, send the pipelined bytes at once, read to EOF."""
    s = socket.create_connection((host, port), 10)
    s.settimeout(10)
    if pipelined:
        s.sendall(pipelined)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except ConnectionResetError:
        pass
    s.close()
    return data.decode(errors="replace")


TXN = (b"LHLO evil.example\r\nMAIL FROM:<x@evil.example>\r\n"
       b"RCPT TO:<alice@x>\r\nDATA\r\nSubject: forged\r\n\r\nhi\r\n.\r\nQUIT\r\n")


def refused_everywhere(srv, adm):
    for pipelined in (b"", TXN):
        got = tcp_session(srv.port("lmtp"), pipelined)
        assert got == "421 4.7.0 mx.test LMTP is not offered to this address\r\n", got
    assert srv.wait_log(r"refused LMTP client 127\.0\.0\.1 on listener lmtp: "
                        r"not in allow-clients", 5)
    # the unix socket is served, and nothing came in over TCP
    c = Lmtp(unix=srv.paths["lmtp"])
    ok, _ = c.deliver("s@x", ["alice@x"], "Subject: local\r\n\r\nok\r\n")
    assert ok[0][1].startswith("250 2.0.0"), ok
    c.close()
    time.sleep(0.2)
    assert wait_counts(adm, "alice", {"INBOX": 1})["INBOX"] == 1


def check_refused(allow):
    if not have_store():
        return
    blk = lmtpd_block(options={"allow-clients": allow})
    with CloisterServer([stored_block(), blk]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("alice")
        refused_everywhere(srv, adm)
        adm.close()


def test_tcp_without_allow_clients_is_refused_before_a_byte_is_read():
    assert "allow-clients" not in lmtpd_block(options={"allow-clients": None})
    check_refused(None)


def test_tcp_from_an_address_outside_allow_clients_is_refused():
    check_refused("192.0.2.0/24 2001:db8::/32")


def test_tcp_from_an_allowed_address_delivers():
    if not have_store():
        return
    blk = lmtpd_block(options={"allow-clients": "192.0.2.1, 127.0.0.1"})
    with CloisterServer([stored_block(), blk]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("alice")
        got = tcp_session(srv.port("lmtp"), TXN)
        assert got.startswith("220 mx.test"), got
        assert "250 2.0.0 <alice@x> Saved" in got, got
        assert wait_counts(adm, "alice", {"INBOX": 1})["INBOX"] == 1
        adm.close()


def test_the_address_family_of_each_listener_is_checked():
    """An IPv6-only allow list: the [::1] listener serves ::1, the IPv4
    listener of the same service refuses 127.0.0.1."""
    if not have_store():
        return
    listens = ("lmtp tcp 127.0.0.1:@port:lmtp@ plain",
               "lmtp6 tcp [::1]:@port6:lmtp6@ plain",
               "lmtpsock unix @path:lmtp@ plain mode=0600")
    blk = lmtpd_block(listens=listens, options={"allow-clients": "::1/128"})
    with CloisterServer([stored_block(), blk]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("alice")
        got = tcp_session(srv.port("lmtp6"), TXN, host="::1")
        assert "250 2.0.0 <alice@x> Saved" in got, got
        got = tcp_session(srv.port("lmtp"), TXN)
        assert got.startswith("421 4.7.0"), got
        assert wait_counts(adm, "alice", {"INBOX": 1})["INBOX"] == 1
        adm.close()
