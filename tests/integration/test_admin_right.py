"""The store's admin right (users, quotas, mailboxes of anyone) comes from
one place: the admin flag of CTL_PEER, which cloisterd sets only for the
connections root makes to its admin sockets. A channel named "admin"
without the flag gets nothing, and no service may be named "admin"."""
import os
import re
import socket
import subprocess

from cloister_ipc import IPC_VERSION, T, recv_record, send_record
from cloister_server import CloisterServer
from harness import tool
from lmtp_util import Admin, have_store, stored_block
from store_util import Store, s, u32
from supervisor_util import STORED, imapd


def test_the_admin_right_is_the_flag_not_the_name():
    with Store() as st:
        # announced as "admin" but without the flag: an ordinary channel of
        # an unknown service, which may send nothing
        fake = st.connect("admin")
        code, msg = fake.error("STORE_ADM_USER_CREATE", s("mallory"))
        assert "admin" in msg or "unexpected" in msg, (code, msg)
        code, msg = fake.error("STORE_ADM_MBOX_CREATE", s("mallory") +
                               s("x") + u32(0))
        # the flag, under any name, is root's admin connection
        adm = st.connect("cloisterctl", flags=1)
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        entries, _ = adm.call("STORE_ADM_MBOX_LIST", s("alice") + u32(1))
        assert any(e[0] == b"INBOX" for e in entries), entries
        # nothing was made for the unflagged channel
        code, msg = adm.error("STORE_ADM_MBOX_LIST", s("mallory") + u32(1))
        assert "no such user" in msg, (code, msg)
        # flags the store does not know: the announcement is dropped
        odd = st.connect("imapd", flags=6)
        try:
            odd.call("PING")
            raise AssertionError("a CTL_PEER with unknown flags was served")
        except (EOFError, OSError, AssertionError) as e:
            assert "was served" not in str(e), e
        fake.close()
        adm.close()


def test_no_service_may_be_named_admin():
    srv = CloisterServer([STORED, imapd(name="admin")])
    try:
        line = srv.config_text[:srv.config_text.index("service admin")] \
            .count("\n") + 1
        r = subprocess.run([tool("cloisterd"), "-n", "-c", srv.config_path],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1, r.stdout + r.stderr
        assert re.search(r"%s:%d: service name 'admin' is reserved" %
                         (re.escape(srv.config_path), line), r.stderr), r.stderr
    finally:
        srv.close()


def test_the_admin_socket_refuses_a_record_of_another_ipc_version():
    """cloisterctl's channel, end to end: root's connection to
    store-admin.0.sock, handed to the real stored by cloisterd. A record of
    the next IPC version closes it with one log line; the same request of
    this version, on a new connection, is served."""
    if not have_store():
        return
    with CloisterServer([stored_block()]) as srv:
        srv.start()
        srv.wait_ready()
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
            sock.connect(os.path.join(srv.run_dir, "store-admin.0.sock"))
            send_record(sock, T["STORE_ADM_USER_CREATE"], 1, s("mallory"),
                        version=IPC_VERSION + 1)
            try:
                got = recv_record(sock, 5)
                raise AssertionError("answered: %r" % (got,))
            except EOFError:
                pass
        assert srv.wait_log(r"admin\[\d+\]: IPC version %d from peer, expected %d;"
                            r" closing the channel" % (IPC_VERSION + 1, IPC_VERSION), 5)
        adm = Admin(srv)
        adm.user("alice")
        entries, _ = adm.chan.call("STORE_ADM_USER_LIST")
        assert [e[0] for e in entries] == [b"alice"], entries
        adm.close()
