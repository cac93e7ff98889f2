"""5,000 idle channels of one user (IMAP IDLE) all watching INBOX: one
delivery wakes every one of them exactly once, with the new counts; the
fan-out time is printed (figures, not an assertion: timing belongs to
bench/)."""
import os
import resource
import select
import time

from store_util import T, Store, decode, memfd_message, s, u32, u64

WATCHERS = int(os.environ.get("STORE_WATCHERS", "5000"))


def test_one_delivery_wakes_5000_idle_channels_of_one_user():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = WATCHERS * 2 + 200
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    with Store() as st:
        st.admin().call("STORE_ADM_USER_CREATE", s("alice"))
        chans = []
        for _ in range(WATCHERS):
            c = st.connect("imapd")
            c.hello(st.key, "alice")
            c.call("STORE_WATCH", u64(1) + u32(1))
            chans.append(c)
        lm = st.connect("lmtpd")
        fd, size, mlen = memfd_message(b"Subject: wake up\r\n\r\nall of you\r\n")
        poller = select.epoll(WATCHERS)
        by_fd = {}
        for c in chans:
            c.sock.setblocking(False)
            poller.register(c.sock.fileno(), select.EPOLLIN)
            by_fd[c.sock.fileno()] = c
        t0 = time.time()
        lm.call("STORE_DELIVER", s("alice") + s("") + u64(size) + u32(mlen), fd=fd)
        t_ack = time.time()
        os.close(fd)
        arrived = {}
        modseqs = set()
        deadline = time.time() + 60
        while len(arrived) < WATCHERS and time.time() < deadline:
            for fdn, _ev in poller.poll(1.0):
                c = by_fd[fdn]
                data = c.sock.recv(4096)
                assert data[:4] == T["STORE_NOTIFY"].to_bytes(4, "big"), data[:16]
                n = decode(data[16:])
                assert n[0] == 1 and n[2] == 1 and n[3] == 2, n
                modseqs.add(n[1])
                assert fdn not in arrived, "notified twice"
                arrived[fdn] = time.time()
                poller.unregister(fdn)
        assert len(arrived) == WATCHERS, "%d of %d woke up" % (len(arrived), WATCHERS)
        lat = sorted(t - t0 for t in arrived.values())
        print("delivery acknowledged in %.1f ms; %d watchers woken: p50 %.1f ms,"
              " p99 %.1f ms, last %.1f ms" % ((t_ack - t0) * 1000, WATCHERS,
                                               lat[len(lat) // 2] * 1000,
                                               lat[int(len(lat) * 0.99)] * 1000,
                                               lat[-1] * 1000))
        # nothing more arrives: exactly one notification each
        time.sleep(0.2)
        for c in chans[:50]:
            try:
                extra = c.sock.recv(4096)
                raise AssertionError("second notification: %r" % extra[:20])
            except BlockingIOError:
                pass
        # every watcher was told the one modseq the delivery made
        chk = st.connect("imapd")
        chk.hello(st.key, "alice")
        assert modseqs == {chk.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[9]}, modseqs
