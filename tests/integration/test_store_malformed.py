"""docs/design.md rule 7 at the store: truncated payloads, lying lengths, unknown
types and flags, fds where none belong, missing fds, bad metadata blocks
and memfds that disagree with their sizes all get an error reply, and the
store goes on serving the same channel and every other one."""
import os
import re
import struct

from cloister_ipc import (CTL_CLIENT, CTL_KEY, CTL_PEER, ERROR, IPC_VERSION,
                          decode, send_raw, send_record)
from harness import wait_for
from store_util import (ERR, T, Store, b, meta_block, memfd_message, record,
                        recv_record, s, u32, u64, uidset)
from test_store_mail import append, mbox_id


def alive(st, c):
    assert c.raw(T["PING"], b"still here")[-1][2] == b"still here"
    other = st.connect("imapd")
    other.hello(st.key, "alice")
    assert mbox_id(other, "INBOX") == 1
    other.close()


def error_code(recs):
    type_, flags, data, fd = recs[-1]
    assert type_ == ERROR, "expected an error, got type %d" % type_
    assert fd is None
    return decode(data)[0]


def test_malformed_requests_get_errors_and_the_store_keeps_serving():
    with Store() as st:
        st.admin().call("STORE_ADM_USER_CREATE", s("alice"))
        c = st.connect("imapd")
        c.hello(st.key, "alice")
        append(c, "INBOX", b"Subject: hi\r\n\r\nhello\r\n")
        fetch = u64(1) + uidset((1, 5)) + u32(1) + u64(0)

        # truncated payloads: every prefix of a valid request
        for cut in range(len(fetch)):
            assert error_code(c.raw(T["STORE_FETCH"], fetch[:cut])) == ERR["MALFORMED"]
        # bytes left over
        assert error_code(c.raw(T["STORE_FETCH"], fetch + u32(0))) == ERR["MALFORMED"]
        # wrong field types, a string length past the end, a huge length
        assert error_code(c.raw(T["STORE_FETCH"], u32(1) + fetch[9:])) == ERR["MALFORMED"]
        assert error_code(c.raw(T["STORE_MBOX_CREATE"],
                                b"\x03" + struct.pack(">I", 500) + b"abc")) == ERR["MALFORMED"]
        assert error_code(c.raw(T["STORE_MBOX_CREATE"],
                                b"\x03\xff\xff\xff\xff" + b"x" * 10)) == ERR["MALFORMED"]
        # a UID set that is not pairs, a reversed range, UID 0
        for bad in (b(b"\0\0\0\1"), uidset((5, 1)), uidset((0, 3))):
            assert error_code(c.raw(T["STORE_FETCH"], u64(1) + bad + u32(1) + u64(0))) \
                == ERR["MALFORMED"]
        # unknown types, including ones outside every range
        for t in (0, 5, 199, 272, 299, 311, 499, 500, 0xffffffff):
            assert error_code(c.raw(t, b"")) == ERR["UNEXPECTED"]
        alive(st, c)

        # framing lies: the header's length disagrees with the record, an
        # unknown flag bit, an fd the header does not announce, two fds
        c.reqid += 1
        bad_len = record(T["PING"], c.reqid, b"abcdefghij")[:-7]   # says 10, has 3
        send_raw(c.sock, bad_len)
        assert error_code(c.reply(c.reqid)) == ERR["MALFORMED"]
        c.reqid += 1
        send_raw(c.sock, record(T["PING"], c.reqid, b"", flags=0x80))
        assert error_code(c.reply(c.reqid)) == ERR["MALFORMED"]
        r, w = os.pipe()
        c.reqid += 1
        send_raw(c.sock, record(T["PING"], c.reqid, b""), fds=[r])
        assert error_code(c.reply(c.reqid)) == ERR["MALFORMED"]
        c.reqid += 1
        send_raw(c.sock, record(T["STORE_APPEND"], c.reqid, b"", flags=1), fds=[r, w])
        assert error_code(c.reply(c.reqid)) == ERR["MALFORMED"]
        c.reqid += 1
        send_raw(c.sock, b"\0\0\0")       # shorter than a header
        type_, rid, flags, data, fd = recv_record(c.sock)
        assert type_ == ERROR
        alive(st, c)

        # a request flagged as continued (requests are one record)
        c.reqid += 1
        send_raw(c.sock, record(T["PING"], c.reqid, b"", flags=2))
        assert error_code(c.reply(c.reqid)) == ERR["MALFORMED"]
        # fds where none belong, and none where one must be
        assert error_code(c.raw(T["PING"], b"", fd=r)) == ERR["MALFORMED"]
        assert error_code(c.raw(T["STORE_FETCH"], fetch, fd=r)) == ERR["MALFORMED"]
        assert error_code(c.raw(T["STORE_APPEND"], u64(0) + s("INBOX") + u64(5) + u32(0))) \
            == ERR["MALFORMED"]
        # an fd that is not a regular file
        assert error_code(c.raw(T["STORE_APPEND"], u64(0) + s("INBOX") + u64(5) + u32(10),
                                fd=r)) == ERR["MALFORMED"]
        os.close(r)
        os.close(w)

        # memfds that disagree with what the request says
        fd, size, mlen = memfd_message(b"hello")
        for sz, ml in ((size + 1, mlen), (size, mlen - 1), (size - 1, mlen + 1), (0, 0)):
            assert error_code(c.raw(T["STORE_APPEND"], u64(0) + s("INBOX") + u64(sz) + u32(ml),
                                    fd=fd)) in (ERR["MALFORMED"], ERR["LIMIT"]), (sz, ml)
        os.close(fd)
        # garbage metadata blocks: truncated, bad flags, too many keywords
        good = meta_block()
        blocks = [good[:-1], good + b"\0", b"\x07" * 40,
                  meta_block(flags=1 << 7),
                  meta_block(keywords=["k%d" % i for i in range(65)]),
                  meta_block(keywords=[""])]
        for blk in blocks:
            fd = os.memfd_create("m")
            os.write(fd, b"hello" + blk)
            code = error_code(c.raw(T["STORE_APPEND"], u64(0) + s("INBOX") + u64(5) +
                                    u32(len(blk)), fd=fd))
            os.close(fd)
            assert code == ERR["MALFORMED"], blk[:20]
        # the same for the delivery right
        lm = st.connect("lmtpd")
        fd = os.memfd_create("m")
        os.write(fd, b"hello" + b"\x01\x02")
        assert error_code(lm.raw(T["STORE_DELIVER"], s("alice") + s("") + u64(5) + u32(2),
                                 fd=fd)) == ERR["MALFORMED"]
        os.close(fd)
        alive(st, c)
        assert st.proc.poll() is None
        # nothing of that reached the mailbox
        assert c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4] == 1


def refused_for_its_version(st, chan, type_, payload):
    """Send chan a record of the next IPC version: stored closes the
    channel (nothing of another protocol, not even an error reply, can be
    trusted to parse) and logs one line naming both versions."""
    send_record(chan.sock, type_, 1, payload, version=IPC_VERSION + 1)
    try:
        got = recv_record(chan.sock, 5)
        raise AssertionError("a record of another version was answered: %r" % (got,))
    except EOFError:
        pass
    line = r"%s\[%d\]: IPC version %d from peer, expected %d; closing the channel" % (
        chan.service, chan.instance, IPC_VERSION + 1, IPC_VERSION)
    assert wait_for(lambda: re.search(line, st.log_text()), 5), st.log_text()


def test_a_record_of_another_ipc_version_closes_the_worker_channel():
    with Store() as st:
        st.admin().call("STORE_ADM_USER_CREATE", s("alice"))
        # the same request with this version is served
        c = st.connect("imapd")
        c.hello(st.key, "alice")
        assert c.raw(T["PING"], b"x")[-1][2] == b"x"
        refused_for_its_version(st, c, T["PING"], b"x")
        # before login too, and the store goes on serving everyone else
        refused_for_its_version(st, st.connect("lmtpd"), T["PING"], b"")
        alive(st, st.connect("imapd"))
        assert st.proc.poll() is None


def test_a_record_of_another_ipc_version_closes_the_admin_channel():
    with Store() as st:
        adm = st.admin()
        adm.call("STORE_ADM_USER_CREATE", s("alice"))
        refused_for_its_version(st, adm, T["STORE_ADM_USER_CREATE"], s("bob"))
        # nothing was done, and a new admin channel of this version works
        entries, _ = st.admin().call("STORE_ADM_USER_LIST")
        assert [e[0] for e in entries] == [b"alice"], entries


def store_dies_of(setup, message):
    """Start stored, break the control channel's rule with setup(st): stored
    logs message and exits non-zero (docs/ipc.md, "Control records and
    unexpected requests"); the supervisor would restart it."""
    st = Store()
    try:
        setup(st)
        assert wait_for(lambda: st.proc.poll() is not None, timeout=10), \
            st.log_text()
        assert st.proc.returncode != 0, st.log_text()
        assert message in st.log_text(), st.log_text()
    finally:
        st.cleanup()


def test_control_channel_errors_end_the_store():
    def second_key(st):
        st.start()
        send_record(st.ctl, CTL_KEY, 0, u32(IPC_VERSION) + b(st.key))

    def peer_before_key(st):
        st.start(send_key=False)
        st.connect("imapd")

    def key_of_another_version(st):
        st.start(send_key=False)
        send_record(st.ctl, CTL_KEY, 0, u32(IPC_VERSION + 1) + b(st.key))

    def malformed_record(st):
        st.start()
        st.ctl.send(b"\0\0\0")

    def peer_without_its_fd(st):
        st.start()
        send_record(st.ctl, CTL_PEER, 0, s("imapd") + u64(9) + u32(0))

    def unknown_peer_flag(st):
        st.start()
        st.connect("imapd", flags=1 << 7)

    def a_record_for_authd(st):
        st.start()
        send_record(st.ctl, CTL_CLIENT, 0, u64(9) + b(b"\2\0" + b"\0" * 14))

    store_dies_of(second_key, "second ctl_key from the supervisor")
    store_dies_of(peer_before_key, "ctl_peer before ctl_key from the supervisor")
    store_dies_of(key_of_another_version, "malformed ctl_key from the supervisor")
    store_dies_of(malformed_record, "malformed record from the supervisor")
    store_dies_of(peer_without_its_fd, "malformed ctl_peer from the supervisor")
    store_dies_of(unknown_peer_flag, "malformed ctl_peer from the supervisor")
    store_dies_of(a_record_for_authd, "unexpected ctl_client from the supervisor")


def test_the_supervisor_gone_the_store_exits_cleanly():
    st = Store()
    try:
        st.start()
        c = st.connect("imapd")
        st.ctl.close()
        st.ctl = None
        assert wait_for(lambda: st.proc.poll() is not None, timeout=10)
        assert st.proc.returncode == 0, st.log_text()
        assert "the supervisor closed the control channel" in st.log_text()
        c.close()
    finally:
        st.cleanup()
