"""File descriptors in flight: a STORE_BODIES reply carries up to 32
message-file fds, and the kernel counts every fd queued in a socket and
not yet received against the sending user's RLIMIT_NOFILE (stored's:
16384). A compromised imapd that sends STORE_BODIES requests and never
reads the replies would make stored queue thousands of fds, and a few
such channels would make every other user's body requests fail. stored
sends a peer at most a few fd-bearing replies it has not read (SIOCOUTQ
on the channel) and reads nothing more from it meanwhile: the flooding
channels are held, the honest one keeps working. Runs cloister-stored
as the supervisor would (store_util.Store), and a whole server where
real imapd sessions are taken over (their store channel copied with
pidfd_getfd, the process stopped) while imaplib FETCHes bodies."""
import array
import fcntl
import os
import socket
import struct
import termios
import time

from cloister_ipc import HDR_SIZE, MAX_PAYLOAD, parse_header
from store_util import OK, Chan, Store, T, append_to, decode, new_user, s
from store_util import send_record, u32, u64

BATCH = 32
ATTACKERS = 6
FLOOD_MAX = 3000          # requests per attacking channel, at most


def recv_batch(sock, timeout=20):
    """(type, reqid, payload, fds) of the next record, every fd of it."""
    return recv_record_fds(sock, timeout)[:4]


def recv_record_fds(sock, timeout=20):
    """(type, reqid, payload, fds, record size) of the next record."""
    sock.settimeout(timeout)
    fds = array.array("i")
    data, anc, _fl, _a = sock.recvmsg(HDR_SIZE + MAX_PAYLOAD + 1,
                                      socket.CMSG_LEN(64 * fds.itemsize))
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(raw[:len(raw) - (len(raw) % fds.itemsize)])
    assert data, "stored closed the channel"
    type_, length, reqid, _v, _flags = parse_header(data)
    return type_, reqid, data[HDR_SIZE:], list(fds), len(data)


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def bodies_request(mbox, uids):
    return u64(mbox) + u32(len(uids)) + b"".join(u32(u) for u in uids)


def user_with_mail(st, name):
    c = new_user(st, name)
    for i in range(BATCH):
        append_to(c, b"Subject: %s %d\r\n\r\nbody %d\r\n" % (name.encode(), i, i))
    mbox = c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[0]
    return c, mbox


def flood(c, mbox):
    """STORE_BODIES requests until the channel takes no more, nothing
    read: how many were sent."""
    req = bodies_request(mbox, range(1, BATCH + 1))
    c.sock.setblocking(False)
    n = 0
    try:
        for _ in range(FLOOD_MAX):
            c.reqid += 1
            send_record(c.sock, T["STORE_BODIES"], c.reqid, req)
            n += 1
    except BlockingIOError:
        pass
    c.sock.setblocking(True)
    return n


def honest_fetch(c, mbox, rounds):
    """Body batches as imapd asks for them, one request ahead of the
    reply it reads; every reply must be OK with its 32 files."""
    req = bodies_request(mbox, range(1, BATCH + 1))
    send_record(c.sock, T["STORE_BODIES"], 1, req)
    for i in range(1, rounds + 1):
        if i < rounds:
            send_record(c.sock, T["STORE_BODIES"], i + 1, req)
        type_, reqid, payload, fds = recv_batch(c.sock)
        try:
            assert reqid == i, (reqid, i)
            assert type_ == OK, "round %d: %r" % (i, decode(payload))
            assert len(fds) == BATCH, len(fds)
            assert os.pread(fds[0], 100, 0).startswith(b"Subject: ")
        finally:
            for fd in fds:
                os.close(fd)


def drain(c, timeout=2):
    """Read what is queued on c until nothing comes within timeout: the
    number of replies and of fds in them."""
    replies = nfds = 0
    try:
        while True:
            type_, _rid, _p, fds = recv_batch(c.sock, timeout)
            assert type_ == OK, decode(_p)
            replies += 1
            nfds += len(fds)
            for fd in fds:
                os.close(fd)
    except socket.timeout:
        pass
    return replies, nfds


def test_channels_that_read_nothing_leave_others_their_bodies():
    with Store() as st:
        attackers = []
        for i in range(ATTACKERS):
            c, mbox = user_with_mail(st, "mallory%d" % i)
            attackers.append((c, mbox))
        victim, vbox = user_with_mail(st, "alice")
        before = open_fds(st.proc.pid)
        sent = [flood(c, mbox) for c, mbox in attackers]
        # the flood got well past what stored lets a channel have unread,
        # and stored has sent all it will
        assert min(sent) > 8, sent
        for c, _ in attackers:
            queued_bytes(c.sock)
        # a held channel costs stored no open file: its next request is
        # not even read (a reply built and held would keep 32 open)
        assert open_fds(st.proc.pid) - before < BATCH, \
            (before, open_fds(st.proc.pid))
        honest_fetch(victim, vbox, 20)
        assert "too many files in flight" not in st.log_text()
        # a flooding channel was held, not dropped: once it reads, every
        # request it sent is answered, and it is served again
        c, mbox = attackers[0]
        replies, nfds = drain(c, timeout=3)
        assert (replies, nfds) == (sent[0], sent[0] * BATCH), (replies, sent[0])
        c.sock.settimeout(20)
        assert c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[0] == mbox
        for c, _ in attackers:
            c.close()
        victim.close()


def queued_bytes(sock, settle=0.5, rounds=40):
    """The bytes of the records queued on sock (SIOCINQ sums every record
    of a SOCK_SEQPACKET queue), once it has stopped growing."""
    last = -1
    for _ in range(rounds):
        n = struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD,
                                           b"\0\0\0\0"))[0]
        if n == last:
            return n
        last = n
        time.sleep(settle)
    return last


def test_a_held_channel_has_few_files_in_flight():
    """What a channel that reads nothing has queued: at most 2 replies of
    32 files, however many requests it sent; reading them, it is served
    again, in order."""
    with Store() as st:
        c, mbox = user_with_mail(st, "mallory")
        first = c.reqid
        sent = flood(c, mbox)
        assert sent > 8, sent
        queued = queued_bytes(c.sock)
        # the records that made up those bytes, and their files
        seen = nfds = 0
        reqid = first
        for _ in range(FLOOD_MAX):
            if seen >= queued:
                break
            type_, rid, payload, fds, size = recv_record_fds(c.sock)
            seen += size
            nfds += len(fds)
            for fd in fds:
                os.close(fd)
            if type_ == T["STORE_NOTIFY"] and rid == 0:
                continue
            reqid += 1
            assert (type_, rid) == (OK, reqid), (type_, rid, decode(payload))
        assert seen == queued, (seen, queued)
        assert 0 < nfds <= 2 * BATCH, nfds
        # the rest comes as it is read
        while reqid < first + sent:
            type_, rid, payload, fds, _size = recv_record_fds(c.sock)
            for fd in fds:
                os.close(fd)
            if type_ == T["STORE_NOTIFY"] and rid == 0:
                continue
            reqid += 1
            assert (type_, rid, len(fds)) == (OK, reqid, BATCH), \
                (type_, rid, len(fds), decode(payload))
        c.close()


def take_store_channel(srv, user, password, n):
    """What code running in an imapd could do: log in as user, then take
    that imapd's store channel (fd 8, bound to user) and stop the process,
    so that only we use the channel from then on. [(client, sock, pid)]."""
    import ctypes
    import signal
    libc = ctypes.CDLL(None, use_errno=True)
    taken = []
    for _ in range(n):
        start = len(srv.srv.log)
        m = srv.login(user, password, kind="plain")
        line = srv.srv.wait_log(r"imapd/\d+\[\d+\]: info: login: user=%s " % user,
                                start=start)
        assert line is not None
        pid = int(line.split("[", 1)[1].split("]", 1)[0])
        pidfd = os.pidfd_open(pid)
        try:
            fd = libc.syscall(438, pidfd, 8, 0)   # SYS_pidfd_getfd
            assert fd >= 0, os.strerror(ctypes.get_errno())
        finally:
            os.close(pidfd)
        os.kill(pid, signal.SIGSTOP)
        taken.append((m, socket.socket(fileno=fd), pid))
    return taken


def test_imapd_sessions_that_read_nothing_leave_a_fetch_its_bodies():
    """Five of mallory's imapd sessions, taken over, ask stored for body
    batches and read nothing; alice's FETCH of 40 bodies over imaplib, on
    the same shard, still gets every one."""
    import signal
    from imap_util import ImapServer, need_stored
    need_stored()
    with ImapServer(users={"alice": "wonderland", "mallory": "evil"},
                    spares=6) as srv:
        for user, pw in (("alice", "wonderland"), ("mallory", "evil")):
            m = srv.login(user, pw, kind="plain")
            for i in range(40):
                m.append("INBOX", None, None,
                         b"Subject: %d\r\n\r\nbody of %s %d\r\n" % (i, user.encode(), i))
            m.logout()
        taken = take_store_channel(srv, "mallory", "evil", 5)
        try:
            chans = []
            for _m, sock, _pid in taken:
                c = Chan(sock, "imapd", 0)
                c.reqid = 1 << 30     # beyond what imapd used
                sock.settimeout(20)
                mbox = c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[0]
                chans.append((c, mbox))
            sent = [flood(c, mbox) for c, mbox in chans]
            assert min(sent) > 8, sent
            for c, _ in chans:
                queued_bytes(c.sock)
            m = srv.login("alice", "wonderland", kind="plain")
            m.select("INBOX", readonly=True)
            typ, data = m.fetch("1:*", "(BODY.PEEK[])")
            assert typ == "OK", (typ, data)
            bodies = [d[1] for d in data if isinstance(d, tuple)]
            assert len(bodies) == 40, len(bodies)
            assert all(b.endswith(b"body of alice %d\r\n" % i)
                       for i, b in enumerate(bodies)), bodies[:2]
            m.logout()
        finally:
            for _m, sock, pid in taken:
                sock.close()
                os.kill(pid, signal.SIGKILL)


def test_a_reader_one_batch_ahead_runs_through_without_a_stall():
    """imapd's way (the next batch asked before this one is read), 3 x 2000
    batches: held at every second one for a moment, never for good (a
    wake-up lost while the peer frees a record would stop it here)."""
    with Store() as st:
        c, mbox = user_with_mail(st, "alice")
        for _ in range(3):
            honest_fetch(c, mbox, 2000)
        c.close()
