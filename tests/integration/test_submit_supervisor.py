"""cloisterd's side of the relay connection, asked by a stand-in that
plays a compromised submitd (relay_asker.py): every connection it gets
goes to the configured relay and nowhere else, at most 50 a second (plus
the burst) however fast it asks, and a relay that does not answer the
connect costs cloisterd nothing while it waits (it serves its admin
socket meanwhile) and ends in ETIMEDOUT; one that asks far beyond the
rate is killed. A fresh store channel (CTL_STORE_ASK) is refused while
the stored it has one to runs, and a flood of asks gets it killed."""
import errno
import json
import os
import socket
import time

from cloister_server import CloisterServer
from cloister_ipc import OK, T, recv_record, send_record
from harness import TOP, service_block, wait_for
from lmtp_util import stored_block

ASKER = os.path.join(TOP, "tests", "integration", "relay_asker.py")


def asker_server(relay, asks=200, kind="relay"):
    block = service_block("submitd", "submit", ASKER, "submitd",
                          options={"relay": relay, "asker-count": asks,
                                   "asker-kind": kind})
    return CloisterServer([stored_block(), block])


def admin_status(srv):
    """CTL_ADM_STATUS on cloisterd's own admin socket: the status text."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.connect(os.path.join(srv.run_dir, "cloisterd.sock"))
    try:
        send_record(sock, T["CTL_ADM_STATUS"])
        text = b""
        for _ in range(1000):
            type_, _, _, payload, _ = recv_record(sock, 5)
            if type_ != T["CTL_ADM_TEXT"]:
                assert type_ == OK, type_
                return text.decode(errors="replace")
            text += payload          # raw text, not tagged
    finally:
        sock.close()
    raise AssertionError("no end of status")


def results(srv, timeout=60):
    path = os.path.join(srv.run_dir, "relay-asker.json")
    assert wait_for(lambda: os.path.exists(path), timeout), srv.log[-20:]
    with open(path) as f:
        return json.load(f)


def test_connections_go_to_the_relay_only_and_at_the_rate():
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(512)
    port = lst.getsockname()[1]
    try:
        with asker_server("127.0.0.1:%d" % port) as srv:
            srv.start()
            r = results(srv)
            got = [a for a in r["answers"] if a[0] == 0]
            refused = [a for a in r["answers"] if a[0] != 0]
            assert got, r
            assert all(a[1] == ["127.0.0.1", port] for a in got), got
            assert all(a[0] == errno.EAGAIN for a in refused), refused
            # the bucket: 50 at once, then 50 a second
            assert len(got) <= 50 + 50 * r["seconds"] + 2, (len(got), r["seconds"])
            assert refused, "200 asks in %.2fs were all granted" % r["seconds"]
    finally:
        lst.close()


def test_a_relay_that_never_answers_times_out_without_stalling_cloisterd():
    # a listener whose backlog is full drops the SYN: the connect hangs
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    fillers = []
    for _ in range(8):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        fillers.append(c)
    try:
        with asker_server("127.0.0.1:%d" % port, asks=1) as srv:
            srv.start()
            time.sleep(1.0)
            # cloisterd answers its admin socket while the connect waits
            t0 = time.time()
            text = admin_status(srv)
            assert time.time() - t0 < 3, "cloisterd stalled"
            assert "submitd" in text, text
            r = results(srv, timeout=30)
            first = r["answers"][0]
            assert first == [errno.ETIMEDOUT, None], r["answers"][:3]
    finally:
        for c in fillers:
            c.close()
        lst.close()


def test_a_submitd_that_floods_its_asks_is_killed():
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(512)
    port = lst.getsockname()[1]
    try:
        with asker_server("127.0.0.1:%d" % port, asks=5000) as srv:
            srv.start()
            # a submitd waits 100 ms after each EAGAIN; 500 refused asks
            # beyond the rate are no such submitd
            assert srv.wait_log(r"submitd/\d+\[\d+\]: floods CTL_RELAY_ASK; killing it",
                                30), srv.log[-20:]
    finally:
        lst.close()


def test_a_store_channel_is_given_only_for_a_restarted_shard_and_asks_are_bounded():
    # while the stored it has a channel to runs, a submitd gets no other
    # (EAGAIN): it cannot pile up channels to the store
    with asker_server("127.0.0.1:9", asks=5, kind="store") as srv:
        srv.start()
        r = results(srv)
        assert [a[0] for a in r["answers"]] == [errno.EAGAIN] * 5, r
    # asking as fast as it can: killed
    with asker_server("127.0.0.1:9", asks=5000, kind="store") as srv:
        srv.start()
        assert srv.wait_log(r"submitd/\d+\[\d+\]: floods CTL_STORE_ASK; killing it",
                            30), srv.log[-20:]
