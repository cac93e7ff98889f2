"""cloisterd end to end with stand-in workers: the fds and channels of
fds.h, CTL_PEER/CTL_CLIENT/CTL_KEY, listeners, admin sockets, the audit of
the running tree, stats, stop, and what cloisterd links."""
import json
import os
import re
import signal
import socket
import stat
import struct
import subprocess
import time

from cloister_ipc import PING, PONG, decode, record, recv_record, send_record
from cloister_server import CloisterServer
from harness import POLICY_DIR, steal_fd, tool, wait_for
from supervisor_util import (AUTHD, FULL, METRICS, STORED, LineClient, block,
                             imapd, lmtpd, metrics)


def test_connection_worker_gets_its_channels():
    with CloisterServer(FULL, shards=2) as srv:
        srv.start()
        srv.wait_ready()
        with LineClient("127.0.0.1", srv.port("imap")) as c:
            m = re.match(r"\* OK cloister-standin imapd (\d+)$", c.readline())
            assert m, "no greeting"
            inst = m.group(1)
            assert c.cmd("PEER") == "* PEER 127.0.0.1"
            # authd heard of this instance (CTL_PEER) and of its client
            # address (CTL_CLIENT), and got the key (CTL_KEY)
            got = c.cmd("PING AUTH")
            assert got == "* PONG auth shard=0 key=yes peer=imapd/%s client=127.0.0.1" \
                % inst, got
            for shard in (0, 1):
                got = c.cmd("PING STORE %d" % shard)
                assert got == "* PONG store shard=%d key=yes peer=imapd/%s client=-" \
                    % (shard, inst), got
            assert c.cmd("PING STORE 2") == "* NO store 2"   # only 2 shards
            assert c.cmd("hello") == "hello"
        # lmtpd has no 'set auth yes': no authd channel, but the store
        with LineClient("127.0.0.1", srv.port("lmtp")) as c:
            inst = c.readline().split()[-1]
            assert c.cmd("PING AUTH") == "* NO auth"
            assert c.cmd("PING STORE 0").startswith(
                "* PONG store shard=0 key=yes peer=lmtpd/%s " % inst)
        # the stats helper was given no key and no peers
        assert len(srv.children("stored")) == 2
        assert sorted(c.shard for c in srv.children("stored")) == [0, 1]


def test_each_connection_gets_its_own_process():
    with CloisterServer([STORED, imapd(spares=3)]) as srv:
        srv.start()
        srv.wait_ready()
        clients = [LineClient("127.0.0.1", srv.port("imap")) for _ in range(5)]
        try:
            insts = [c.readline().split()[-1] for c in clients]
            assert len(set(insts)) == 5, insts
            kids = {str(k.instance): k.pid for k in srv.children("imapd")}
            assert len({kids[i] for i in insts}) == 5
            # spares are topped up while 5 are busy
            assert wait_for(lambda: len(srv.children("imapd")) >= 8, 5)
        finally:
            for c in clients:
                c.close()
        # each worker exits with its client
        assert wait_for(lambda: not ({str(k.instance) for k in srv.children("imapd")}
                                     & set(insts)), 5)


def test_audit_passes_over_the_running_tree():
    with CloisterServer(FULL) as srv:
        srv.start()
        srv.wait_ready()
        busy = LineClient("127.0.0.1", srv.port("imap"))
        assert busy.readline().startswith("* OK")
        try:
            # the spare that replaced the busy one must be confined too
            assert wait_for(lambda: len(srv.children("imapd")) == 3, 5)
            srv.wait_ready()
            n = len(srv.children()) + 1
            r = srv.audit()
            assert r.returncode == 0, r.stdout + r.stderr
            assert "%d processes audited, 0 drifts" % n in r.stdout, r.stdout
            doc = json.loads(srv.audit(json_out=True).stdout)
            workers = [p for p in doc["processes"] if p["service"] != "supervisor"]
            assert {p["service"] for p in workers} == \
                {"imapd", "lmtpd", "authd", "stored", "snmpd-helper"}
            # each under its own id of the server's worker-uids
            assert len({p["uid"][0] for p in workers}) == len(workers)
            for p in workers:
                assert srv.uids[0] <= p["uid"][0] <= srv.uids[1], p
                assert p["uid"][0] != 0 and p["CapEff"] == "0" * 16, p
                assert p["NoNewPrivs"] == 1 and p["Seccomp"] == 2, p
            # the audit can fail: against the installed policies, the
            # temporary roots of stored and authd are drift
            r = subprocess.run([tool("cloister-audit"), "-d", POLICY_DIR, "-p",
                                srv.pidfile], capture_output=True, text=True)
            assert r.returncode == 1 and "root dir is " + srv.roots["stored"] in r.stderr, \
                r.stderr
        finally:
            busy.close()


def test_unix_and_ipv6_listeners():
    svc = block("lmtpd", "connection", "lmtpd",
                ["lmtpsock unix @path:lmtp@ plain owner=cloister-lmtp group=cloister-imap mode=0660",
                 "lmtp6 tcp [::1]:@port6:lmtp6@ plain"], settings={"spares": 1})
    with CloisterServer([STORED, svc]) as srv:
        srv.start()
        st = os.stat(srv.path("lmtp"))
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
        import grp
        import pwd
        assert st.st_uid == pwd.getpwnam("cloister-lmtp").pw_uid
        assert st.st_gid == grp.getgrnam("cloister-imap").gr_gid
        with LineClient.unix(srv.path("lmtp")) as c:
            assert c.readline().startswith("* OK cloister-standin lmtpd")
            assert c.cmd("PEER") == "* PEER unix"
        with LineClient("::1", srv.port("lmtp6")) as c:
            assert c.readline().startswith("* OK")
            assert c.cmd("PEER") == "* PEER ::1"
        # one family per socket: the v6 port takes no IPv4
        try:
            socket.create_connection(("127.0.0.1", srv.port("lmtp6")), 1).close()
            v4 = True
        except OSError:
            v4 = False
        assert not v4
        assert srv.stop() == 0
        assert not os.path.exists(srv.path("lmtp"))


def test_listen_backlog_is_configurable():
    with CloisterServer([STORED, imapd(backlog=1234)]) as srv:
        srv.start()
        out = subprocess.run(["ss", "-ltnH", "sport = :%d" % srv.port("imap")],
                             capture_output=True, text=True).stdout
        # ss shows a listener's backlog as its Send-Q
        assert re.search(r"LISTEN\s+\d+\s+1234\s", out), out


def _ipc(sock, mtype, reqid=9):
    send_record(sock, mtype, reqid)
    t, rid, _flags, payload, _fd = recv_record(sock, 5)
    text, = decode(payload)
    assert rid == reqid
    return t, text.decode()


def test_admin_socket_passes_root_connections_to_the_shard():
    with CloisterServer([STORED, AUTHD], shards=2) as srv:
        srv.start()
        srv.wait_ready()
        for shard in (0, 1):
            path = os.path.join(srv.run_dir, "store-admin.%d.sock" % shard)
            st = os.stat(path)
            assert st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o600
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
                s.settimeout(5)
                s.connect(path)
                t, text = _ipc(s, PING)
                assert t == PONG and re.match(
                    r"store shard=%d key=yes peer=admin/\d+ " % shard, text), text
        # a non-root peer is refused by SO_PEERCRED even if the mode let it in
        path = os.path.join(srv.run_dir, "store-admin.0.sock")
        os.chmod(path, 0o666)
        code = ("import socket;s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET);"
                "s.settimeout(5);s.connect(%r);s.send(%r);"
                "print(len(s.recv(100)))" % (path, record(PING, 1)))
        r = subprocess.run(["python3", "-c", code], capture_output=True, text=True,
                           preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
        assert r.stdout.strip() == "0" or "Connection reset" in r.stderr or \
            "Broken pipe" in r.stderr, r.stdout + r.stderr
        assert srv.wait_log(r"admin socket 0: refused pid \d+ uid 65534", 5)


def test_stats_reach_the_stats_helper():
    with CloisterServer([STORED, imapd(max_per_ip=2), METRICS]) as srv:
        srv.start()
        srv.wait_ready()
        held = [LineClient("127.0.0.1", srv.port("imap")) for _ in range(2)]
        for c in held:
            c.readline()
            c.cmd("one")
            c.cmd("two")
        # a third from the same address is over max-per-ip: refused
        with LineClient("127.0.0.1", srv.port("imap")) as c:
            assert c.readline() == ""
        for c in held:
            c.close()

        def counted():
            m = metrics(srv).get("imapd", {})
            return m.get("connections") == 2 and m.get("commands") == 4 and \
                m.get("refusals") == 1
        assert wait_for(counted, 5), metrics(srv)
        m = metrics(srv)
        assert m["imapd"]["bytes_in"] == 20 and m["imapd"]["spawns"] >= 4
        assert m["cloisterd"]["connections"] == 2 and m["cloisterd"]["refusals"] == 1
        assert m["cloisterd"]["processes"] == sum(
            m[s]["processes"] for s in ("stored", "imapd", "metrics"))
        assert m["stored"]["processes"] == 1 and m["imapd"]["max"] == 100


def test_a_bad_stats_record_is_dropped_not_parsed():
    with CloisterServer([imapd(), METRICS]) as srv:
        srv.start()
        srv.wait_ready()
        # play a compromised worker: a short record and one of an unknown
        # kind on imapd's stats fd (its log channel, fd 4)
        pid = srv.children("imapd")[0].pid
        chan = steal_fd(pid, 4)
        try:
            os.write(chan, stats_record(5)[:7])
            os.write(chan, stats_record(5, kind=9))
        finally:
            os.close(chan)
        assert srv.wait_log(r"imapd/\d+\[%d\]: bad stats record \(7 bytes\)" % pid, 5)
        assert srv.wait_log(r"imapd/\d+\[%d\]: bad stats record \(120 bytes\)" % pid, 5)
        with LineClient("127.0.0.1", srv.port("imap")) as c:
            c.readline()
        assert wait_for(lambda: metrics(srv).get("imapd", {}).get("connections") == 1, 5)
        assert srv.proc.poll() is None


def stats_record(commands, kind=1):
    """A DELTA struct stats_record (common/stats.h) with these commands."""
    counters = [0] * 12
    counters[3] = commands   # ST_COMMANDS
    return struct.pack("=IHH12Q2Q", 0x434C5332, kind, 120, *counters, 0, 0)


def test_stats_records_are_attributed_to_the_worker_that_wrote_them():
    with CloisterServer(FULL) as srv:
        srv.start()
        srv.wait_ready()
        assert wait_for(lambda: "imapd" in metrics(srv), 5)
        a, b = srv.children("imapd")[:2]
        # while cloisterd reads nothing, A writes a record cut short then
        # one of 1000 commands, B one of 777: each is counted as its own
        # channel's, and A's bad one costs only itself
        srv.proc.send_signal(signal.SIGSTOP)
        try:
            for pid, data in ((a.pid, (stats_record(5)[:100] + b"\xff" * 7,
                                       stats_record(1000))),
                              (b.pid, (stats_record(777),))):
                chan = steal_fd(pid, 4)
                try:
                    for d in data:
                        os.write(chan, d)
                finally:
                    os.close(chan)
        finally:
            srv.proc.send_signal(signal.SIGCONT)
        assert srv.wait_log(r"imapd/%d\[%d\]: bad stats record" % (a.instance, a.pid), 5)
        assert wait_for(lambda: metrics(srv)["imapd"]["commands"] == 1777, 5), metrics(srv)
        time.sleep(1.1)
        m = metrics(srv)
        assert m["imapd"]["commands"] == 1777 and m["lmtpd"]["commands"] == 0, m


def test_a_busy_session_costs_cloisterd_one_fd():
    """A live session holds one of cloisterd's fds, its log channel (which
    carries its stats records too): the control channel of a busy, ready
    worker is closed. So sessions up to max-processes fit a hard limit on
    open files of about that many (bench/imap/idle-scale)."""
    with CloisterServer([imapd(spares=2, max_per_ip=30)]) as srv:
        srv.start()
        srv.wait_ready()

        def fds():
            return len(os.listdir("/proc/%d/fd" % srv.proc.pid))

        def steady(busy):
            # the spares made up again and every fd count the same twice
            if len(srv.children("imapd")) != busy + 2:
                return None
            a = fds()
            time.sleep(0.3)
            return a if a == fds() and \
                len(srv.children("imapd")) == busy + 2 else None

        clients, counts = [], {}
        try:
            for k in (0, 10, 20):
                while len(clients) < k:
                    c = LineClient("127.0.0.1", srv.port("imap"))
                    assert c.readline()
                    clients.append(c)
                got = []
                assert wait_for(lambda: got.append(steady(k)) or got[-1], 15), \
                    (k, srv.children("imapd"))
                counts[k] = got[-1]
            assert counts[10] - counts[0] == 10, counts
            assert counts[20] - counts[10] == 10, counts
        finally:
            for c in clients:
                c.close()


def test_sigterm_stops_everything_and_cleans_up():
    with CloisterServer(FULL) as srv:
        srv.start()
        srv.wait_ready()
        busy = LineClient("127.0.0.1", srv.port("imap"))
        busy.readline()
        kids = [c.pid for c in srv.children()]
        assert len(kids) >= 6
        t0 = time.monotonic()
        assert srv.stop() == 0
        assert time.monotonic() - t0 < 10
        assert srv.leftovers() == []
        for pid in kids:
            assert not os.path.exists("/proc/%d" % pid)
        assert busy.readline() == ""   # its worker was told to go
        busy.close()
        assert not os.path.exists(srv.pidfile)
        assert not os.path.exists(srv.path("lmtp"))
        assert not any(f.startswith(("store-admin", "config."))
                       for f in os.listdir(srv.run_dir))


def test_a_worker_that_ignores_sigterm_is_killed_at_the_deadline():
    stubborn = imapd(options={"standin-ignore-term": "yes"})
    with CloisterServer([STORED, stubborn], options={"stop-timeout": 1}) as srv:
        srv.start()
        srv.wait_ready()
        c = LineClient("127.0.0.1", srv.port("imap"))
        assert c.readline().startswith("* OK")
        t0 = time.monotonic()
        assert srv.stop() == 0
        took = time.monotonic() - t0
        assert 0.9 < took < 5, took          # waited for it, then no longer
        assert srv.wait_log(r"imapd: \d+ process(es)? left at the deadline, SIGKILL", 1)
        assert srv.leftovers() == []
        c.close()


def test_daemon_mode_writes_its_pid_file():
    with CloisterServer([STORED, imapd(spares=1)]) as srv:
        r = subprocess.run([tool("cloisterd"), "-c", srv.config_path],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stderr
        assert wait_for(lambda: os.path.exists(srv.pidfile), 5)
        pid = int(open(srv.pidfile).read())
        try:
            assert os.getsid(pid) == pid   # its own session, no terminal
            with LineClient("127.0.0.1", srv.port("imap")) as c:
                assert c.readline().startswith("* OK")
                # the daemon (a fork of the process that started) holds the
                # real key, not the page its fork wiped
                got = c.cmd("PING STORE 0")
                assert got.startswith("* PONG store shard=0 key=yes "), got
        finally:
            os.kill(pid, signal.SIGINT)   # as SIGTERM
        assert wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10)
        assert srv.leftovers() == []


FORBIDDEN = ("ssl", "crypto", "sasl2", "sqlite3", "jansson", "netsnmp")


def forbidden_libs(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return [l.split()[0] for l in out.splitlines()
            if any(re.match(r"lib%s\b" % f, l.strip()) for f in FORBIDDEN)]


def test_cloisterd_links_no_parser_or_crypto_library():
    assert forbidden_libs(tool("cloisterd")) == []
    # the check can fail: cloister-audit links jansson
    assert forbidden_libs(tool("cloister-audit")) != []


def test_the_real_authd_takes_the_supervisors_records():
    try:
        tool("cloister-authd")
    except FileNotFoundError:
        return   # not built in this tree yet
    authd = block("authd", "auth", "authd", binary="@bin:cloister-authd@",
                  options={"debug": "yes"})
    with CloisterServer([authd, STORED, imapd(auth=True)]) as srv:
        srv.start()
        srv.wait_ready()
        pid = srv.children("authd")[0].pid
        with LineClient("127.0.0.1", srv.port("imap")) as c:
            inst = c.readline().split()[-1]
            c.cmd("hello")
        # CTL_KEY, then CTL_PEER for each worker, CTL_CLIENT before its client
        assert srv.wait_log(r" authd/\d+\[%d\]: debug: ticket key received" % pid, 5)
        assert srv.wait_log(r" authd/\d+\[%d\]: debug: peer imapd/%s$" % (pid, inst), 5)
        assert [c.pid for c in srv.children("authd")] == [pid]   # still up
        srv.wait_ready()   # the spare that replaced the used one is confined
        r = srv.audit()
        assert r.returncode == 0, r.stdout + r.stderr
