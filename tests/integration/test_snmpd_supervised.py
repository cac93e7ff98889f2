"""Under a real cloisterd: the real cloister-snmpd as the stats
service, a private Debian snmpd as AgentX master, the other services played
by cloister-standin (real authd) until imapd/lmtpd/stored exist.

Activity is real traffic through the supervisor: stand-in connections move
connections/commands/bytes, which cloisterd aggregates and the helper
serves. When imapd and lmtpd land, switch `activity()` to imaplib logins
and LMTP deliveries (smtplib.LMTP) and assert the logins/deliveries
columns too; the rest of each test stays as it is."""
import os
import signal
import time

from cloister_server import CloisterServer
from harness import wait_for
from snmp_util import (FakeMaster, Snmpd, ax_header, http_get, metrics,
                       need_agentx, sample, service_rows, snmpwalk)
from supervisor_util import AUTHD, STORED, LineClient, block, imapd, lmtpd


def helper_block(master_socket, retry=3):
    return block("snmpd-helper", "stats", "snmpd-helper",
                 ["metrics tcp 127.0.0.1:@port:metrics@ plain"],
                 binary="@bin:cloister-snmpd@",
                 options={"agentx": "yes", "agentx-socket": master_socket,
                          "agentx-retry": retry})


def server(master_socket, retry=3):
    return CloisterServer([AUTHD, STORED, imapd(auth=True), lmtpd(),
                           helper_block(master_socket, retry)])


def activity(srv, n=1):
    """n client sessions on imapd and on lmtpd (stand-ins: greeting, one
    command each way)."""
    for svc in ("imap", "lmtp"):
        for _ in range(n):
            with LineClient("127.0.0.1", srv.port(svc)) as c:
                assert c.readline().startswith("* OK")
                assert c.cmd("NOOP") == "NOOP"


def helper_pid(srv):
    kids = srv.children("snmpd-helper")
    return kids[0].pid if kids else None


def registered(port):
    try:
        return len(service_rows(snmpwalk(port))) == 5
    except AssertionError:
        return False


def others(srv):
    return sorted((c.service, c.pid) for c in srv.children()
                  if c.service in ("authd", "stored"))


def test_under_cloisterd_snmpwalk_and_metrics_agree_and_counters_move():
    need_agentx()
    m = Snmpd()
    try:
        with server(m.socket) as srv:
            srv.start()
            srv.wait_ready()
            assert wait_for(lambda: registered(m.port), 15)
            rows = service_rows(snmpwalk(m.port))
            assert set(rows) == {"authd", "stored", "imapd", "lmtpd", "snmpd-helper"}
            assert rows["imapd"][4] == 100             # max-processes from the config
            assert rows["imapd"][3] >= 2               # its spares are alive
            before = rows
            activity(srv, 3)

            def moved():
                r = service_rows(snmpwalk(m.port))
                return r["imapd"][5] - before["imapd"][5] == 3 and \
                    r["lmtpd"][5] - before["lmtpd"][5] == 3
            assert wait_for(moved, 10), service_rows(snmpwalk(m.port))
            rows = service_rows(snmpwalk(m.port))
            assert rows["imapd"][8] - before["imapd"][8] >= 3      # commands
            assert rows["imapd"][9] > before["imapd"][9]           # bytes in
            # /metrics says the same (one more period may have passed:
            # compare the figures that did not move since)
            samples, _ = metrics(srv.port("metrics"))
            for name in rows:
                assert sample(samples, "cloister_connections_total", service=name) == \
                    rows[name][5], name
                assert sample(samples, "cloister_max_processes", service=name) == \
                    rows[name][4], name
            # the running tree, the real helper included, passes the audit
            r = srv.audit()
            assert r.returncode == 0, r.stdout + r.stderr
    finally:
        m.stop()


def test_under_cloisterd_kill_9_of_snmpd_and_of_the_helper():
    need_agentx()
    m = Snmpd()
    try:
        with server(m.socket) as srv:
            srv.start()
            srv.wait_ready()
            assert wait_for(lambda: registered(m.port), 15)
            sup, peers = srv.pid, others(srv)

            # kill -9 of the helper: restarted, registers again, counted
            old = helper_pid(srv)
            os.kill(old, signal.SIGKILL)
            assert wait_for(lambda: helper_pid(srv) not in (None, old), 10)
            assert wait_for(lambda: registered(m.port), 15)
            assert wait_for(lambda: service_rows(snmpwalk(m.port))
                            ["snmpd-helper"][15] >= 1, 10)           # crashes

            # kill -9 of snmpd: the helper leaves (status 1), comes back,
            # serves /metrics alone while there is no master, and registers
            # with the new master once it is up
            old = helper_pid(srv)
            m.kill(signal.SIGKILL)
            assert srv.wait_log(r"snmpd-helper: pid %d instance \d+ exited with "
                                r"status 1" % old, 10), "\n".join(srv.log[-20:])
            assert wait_for(lambda: http_get(srv.port("metrics"))[0] == 200, 10)
            time.sleep(1)
            m2 = Snmpd(port=m.port, tmp=m.tmp)
            try:
                assert wait_for(lambda: registered(m2.port), 30), "\n".join(srv.log[-30:])
                activity(srv, 1)
                assert srv.proc.poll() is None and srv.pid == sup
                assert others(srv) == peers
                assert not srv.wait_log(r"snmpd-helper: held", 0)
            finally:
                m2.stop()
    finally:
        m.stop()


def test_under_cloisterd_a_garbage_master_only_restarts_the_helper():
    need_agentx()
    fm = FakeMaster()
    try:
        with server(fm.path) as srv:
            srv.start()
            got = fm.accept_and_register()
            assert 3 in got, got
            srv.wait_ready()
            sup, peers = srv.pid, others(srv)
            first = helper_pid(srv)
            # a huge payload announced, then nothing: must not hang
            fm.send(ax_header(18, b"")[:16] + (1 << 30).to_bytes(4, "big"))
            assert srv.wait_log(r"snmpd-helper: pid %d instance \d+ exited with "
                                r"status 1" % first, 10), "\n".join(srv.log[-20:])
            assert srv.wait_log(r"malformed AgentX from the master", 5)
            # the new helper connects again (the fake master accepts it)
            fm.conn.close()
            got = fm.accept_and_register()
            assert 3 in got, got
            assert wait_for(lambda: helper_pid(srv) not in (None, first), 10)
            activity(srv, 1)
            assert srv.proc.poll() is None and srv.pid == sup
            assert others(srv) == peers
    finally:
        fm.close()
