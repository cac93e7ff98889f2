"""cloister-snmpd, SNMP out of the root process.

The helper runs standalone here: the test starts it as root the way
cloisterd does (config, fd 7 statistics pipe, fd 16 /metrics listener),
writes the aggregate records itself (snmp_util.StandaloneActivity) and
plays the supervisor when the helper must come back. A private Debian
snmpd is the AgentX master. test_snmpd_supervised.py runs the same
scenarios under cloisterd once it is in the tree."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import POLICY_DIR, Skip, policy, policy_copy, proc_status, run, tool, wait_for
from store_util import FD_STATS
from snmp_util import (ENTERPRISE, FakeMaster, Helper, Snmpd, StandaloneActivity,
                       agg, ax_header, figure_tables, http_get, label_dict,
                       metrics, mib_path, need_agentx, parse_exposition, period,
                       sample, scalars, service_rows, snmpwalk)


def started(master=None, **kw):
    h = Helper(agentx_socket=master.socket if master else None, **kw)
    h.confined()
    return h


def walk_until(port, pred, timeout=15):
    """Walk until pred(walk) holds (the helper reads its pipe within a poll
    round; the master answers within its own timeouts)."""
    last = {}

    def ok():
        nonlocal last
        last = snmpwalk(port)
        return pred(last)
    assert wait_for(ok, timeout=timeout, step=0.2), "walk never matched:\n%s" % last
    return last


# --- the MIB ---

def test_snmptranslate_resolves_every_object_of_the_mib():
    if shutil.which("snmptranslate") is None:
        raise Skip("snmptranslate not installed (Debian package snmp)")
    columns, scs = figure_tables()
    names = ["cloisterMIB", "cloisterServiceTable", "cloisterServiceEntry",
             "cloisterServiceIndex"] + [c["mib"] for c in columns] + [s["mib"] for s in scs]
    r = run(["snmptranslate", "-M", mib_path(), "-m", "+CLOISTER-MIB", "-On"] +
            ["CLOISTER-MIB::" + n for n in names])
    got = r.stdout.split()
    assert r.returncode == 0 and len(got) == len(names), r.stdout + r.stderr
    want = dict(zip(names, got))
    assert want["cloisterMIB"] == "." + ENTERPRISE
    # every column and scalar sits where figures.c (and so the agent) puts it
    for c in columns:
        assert want[c["mib"]] == ".%s.1.2.1.%d" % (ENTERPRISE, c["col"]), c
    for s in scs:
        assert want[s["mib"]] == ".%s.1.%d.%d" % (ENTERPRISE, s["group"], s["item"]), s
    # and back: numeric to name
    r = run(["snmptranslate", "-M", mib_path(), "-m", "+CLOISTER-MIB",
             ".%s.1.2.1.7" % ENTERPRISE])
    assert r.stdout.strip() == "CLOISTER-MIB::cloisterServiceLoginsFailed", r.stdout


def test_smilint_accepts_the_mib():
    if shutil.which("smilint") is None:
        raise Skip("smilint not installed (Debian package smitools)")
    path = os.path.join(mib_path().split(":")[0], "CLOISTER-MIB.txt")
    env = dict(os.environ, SMIPATH=mib_path())
    r = subprocess.run(["smilint", "-s", "-l", "6", path], capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.stdout + r.stderr == "", "smilint:\n" + r.stdout + r.stderr
    # the check can fail: a column left out of its conformance group
    with open(path) as f:
        text = f.read()
    broken = text.replace("        cloisterStoreOperations,\n        cloisterStoreAppends\n",
                          "        cloisterStoreOperations\n")
    assert broken != text
    tmp = os.path.join(tempfile.mkdtemp(prefix="cloister-mib-"), "CLOISTER-MIB.txt")
    with open(tmp, "w") as f:
        f.write(broken)
    r = subprocess.run(["smilint", "-s", "-l", "6", tmp], capture_output=True,
                       text=True, env=env, timeout=60)
    assert "cloisterStoreAppends" in r.stdout + r.stderr, r.stdout + r.stderr


def test_docs_list_every_figure_with_its_oid_and_metric():
    columns, scs = figure_tables()
    with open(os.path.join(os.path.dirname(POLICY_DIR), "docs", "snmp.md")) as f:
        doc = f.read()
    rows = {m[0]: m[1:] for m in re.findall(
        r"^\| (cloister\w+) \| (E[.\w]+) \| [^|]+ \| ([^|]+) \|$", doc, re.M)}
    for c in columns:
        assert c["mib"] in rows, c["mib"] + " is not in docs/snmp.md"
        oid, metric = rows[c["mib"]]
        assert oid == "E.1.2.1.%d.ROW" % c["col"], (c["mib"], oid)
        if c["metric"]:
            want = c["metric"] + ("{%s}" % c["label"] if c["label"] else "")
            assert "`%s`" % want in metric, (c["mib"], metric, want)
    for sc in scs:
        assert sc["mib"] in rows, sc["mib"] + " is not in docs/snmp.md"
        oid, metric = rows[sc["mib"]]
        assert oid == "E.1.%d.%d.0" % (sc["group"], sc["item"]), (sc["mib"], oid)
        if sc["metric"]:
            assert "`%s" % sc["metric"] in metric, (sc["mib"], metric)
    # and the page documents nothing the code lacks
    known = {c["mib"] for c in columns} | {sc["mib"] for sc in scs}
    assert set(rows) == known, set(rows) ^ known


# --- SNMP and /metrics serve the same figures, and they move ---

def test_snmpwalk_returns_the_tables_and_the_counters_move():
    need_agentx()
    m = Snmpd()
    h = started(m)
    try:
        act = StandaloneActivity(h)
        act.logins(ok=2, failed=1)
        act.deliveries(3)
        act.publish()
        w = walk_until(m.port, lambda w: len(service_rows(w)) == 4)
        rows = service_rows(w)
        assert set(rows) == {"imapd", "lmtpd", "stored", "snmpd-helper"}
        assert rows["imapd"][6] == 2 and rows["imapd"][7] == 1      # logins ok/failed
        assert rows["imapd"][4] == 100 and rows["imapd"][3] == 1    # max, active
        assert rows["lmtpd"][18] == 3                               # deliveries
        sc = scalars(w)
        assert sc["1.1"] == "0.1.0" or re.match(r"\d+\.\d+", sc["1.1"]), sc
        assert int(sc["3.1"]) == 3 and int(sc["3.3"]) == 3          # users, deliveries
        # every object of the table is there for each row, typed as the MIB says
        types = {oid.rsplit(".", 2)[-2]: t for oid, (t, _v) in w.items()
                 if oid.startswith(ENTERPRISE + ".1.2.1.")}
        assert types["2"] == "STRING" and types["3"] == "Gauge32"
        assert all(types[str(c)] == "Counter64" for c in range(5, 23)), types
        before = rows

        # activity: more logins and deliveries, then the counters move by
        # exactly that much
        act.logins(ok=5, failed=2)
        act.deliveries(4)
        act.publish()
        w = walk_until(m.port, lambda w: service_rows(w)["imapd"][6] != 2)
        rows = service_rows(w)
        assert rows["imapd"][6] - before["imapd"][6] == 5
        assert rows["imapd"][7] - before["imapd"][7] == 2
        assert rows["imapd"][5] - before["imapd"][5] == 7            # connections
        assert rows["lmtpd"][18] - before["lmtpd"][18] == 4
        assert rows["stored"][22] - before["stored"][22] == 4        # appends
        assert int(scalars(w)["3.3"]) == 7
        # GET of a row that does not exist, and of an object that does not;
        # a SET reaches the helper (TestSet) and is refused, read-only
        r = run(["snmpget", "-v2c", "-c", "public", "127.0.0.1:%d" % m.port,
                 ENTERPRISE + ".1.2.1.6.9", ENTERPRISE + ".1.2.1.99.1",
                 ENTERPRISE + ".1.2.1.6.1"])
        assert "6.9 = No Such Instance" in r.stdout, r.stdout
        assert "99.1 = No Such Object" in r.stdout, r.stdout
        assert "6.1 = Counter64: 7" in r.stdout, r.stdout
        r = run(["snmpset", "-v2c", "-c", "private", "127.0.0.1:%d" % m.port,
                 ENTERPRISE + ".1.1.2.0", "u", "5"])
        assert r.returncode != 0 and "notWritable" in r.stdout + r.stderr, \
            r.stdout + r.stderr
        r = run(["snmpbulkwalk", "-v2c", "-c", "public", "-Cr25",
                 "127.0.0.1:%d" % m.port, ENTERPRISE])
        assert r.returncode == 0 and len(r.stdout.splitlines()) == len(w), r.stdout
        assert h.p.poll() is None, h.output()
        # names resolve through the MIB on the same walk
        named = snmpwalk(m.port, mibs=True)
        assert named["CLOISTER-MIB::cloisterServiceName.1"][1] == "imapd", named
        assert named["CLOISTER-MIB::cloisterServiceLoginsOk.1"][1] == "7", named
        assert len(named) == len(w), (len(named), len(w))
        assert not [k for k in named if k.startswith(("SNMPv2-SMI::", "iso."))], named
    finally:
        h.stop()
        m.stop()


def test_metrics_serve_the_same_figures_as_snmp():
    need_agentx()
    m = Snmpd()
    h = started(m)
    try:
        act = StandaloneActivity(h)
        act.logins(ok=4, failed=3)
        act.deliveries(6)
        act.figs["imapd"].update(bytes_out=5 << 32, processes=7)   # > 32 bits
        act.publish()
        w = walk_until(m.port, lambda w: len(service_rows(w)) == 4)
        # curl: a real client
        r = subprocess.run(["curl", "-sS", "-i", "--max-time", "10",
                            "http://127.0.0.1:%d/metrics" % h.port],
                           capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
        head, _, body = r.stdout.decode().partition("\r\n\r\n")
        assert head.startswith("HTTP/1.1 200"), head
        assert "Content-Type: text/plain; version=0.0.4" in head, head
        samples, types = parse_exposition(body)
        columns, scs = figure_tables()
        rows = service_rows(w)
        compared = 0
        for name, cols in rows.items():
            for c in columns:
                if c["metric"] is None:
                    continue
                v = sample(samples, c["metric"], service=name, **label_dict(c["label"]))
                assert v is not None, (name, c)
                assert v == cols[c["col"]], (name, c["mib"], v, cols[c["col"]])
                assert types[c["metric"]] == ("counter" if c["kind"] == "COUNTER" else "gauge")
                compared += 1
        sc = scalars(w)
        for s in scs:
            key = "%d.%d" % (s["group"], s["item"])
            if s["metric"] is None:
                # sums: Prometheus computes them from the per-service series
                total = sum(v for (n, _l), v in samples.items()
                            if n == {"cloisterStoreDeliveries": "cloister_deliveries_total",
                                     "cloisterStoreOperations": "cloister_store_operations_total",
                                     "cloisterStoreAppends": "cloister_store_appends_total"}[s["mib"]])
                assert total == int(sc[key]), (s, total, sc[key])
            elif s["kind"] == "STRING":
                assert sample(samples, s["metric"], version=sc[key]) == 1
            else:
                assert sample(samples, s["metric"]) == int(sc[key]), s
            compared += 1
        assert compared == 4 * (len(columns) - 1) + len(scs)
        # the full 64-bit value over both faces
        assert sample(samples, "cloister_sent_bytes_total", service="imapd") == \
            rows["imapd"][10] == 5 << 32
        assert sample(samples, "cloister_up") == 1
    finally:
        h.stop()
        m.stop()


def test_metrics_without_agentx_and_before_the_first_period():
    h = started()
    try:
        samples, _ = metrics(h.port)
        assert sample(samples, "cloister_up") == 0
        assert not [k for k in samples if k[0] == "cloister_processes"]
        # one period, one service
        h.send(*period([dict(index=0, name="imapd", processes=2, max_processes=9,
                             auth_ok=1)]))
        assert wait_for(lambda: sample(metrics(h.port)[0], "cloister_up") == 1)
        samples, _ = metrics(h.port)
        assert sample(samples, "cloister_max_processes", service="imapd") == 9
        assert sample(samples, "cloister_logins_total", service="imapd", result="ok") == 1
    finally:
        h.stop()


def test_bad_records_are_counted_and_dropped():
    h = started()
    try:
        good = period([dict(index=0, name="imapd", auth_ok=3)])
        bad_magic = bytearray(agg(0, "imapd", auth_ok=999))
        bad_magic[0] ^= 0xFF
        h.send(bytes(bad_magic), agg(40, "far", auth_ok=1), agg(1, "sp ace"), *good)
        assert wait_for(lambda: sample(metrics(h.port)[0], "cloister_up") == 1)
        samples, _ = metrics(h.port)
        assert sample(samples, "cloister_stats_dropped_records_total") == 3
        assert sample(samples, "cloister_logins_total", service="imapd", result="ok") == 3
        assert not [k for k in samples if dict(k[1]).get("service") in ("far", "sp ace")]
        # the log line travels apart from the counters: wait for it too
        assert wait_for(lambda: "dropped a record: bad magic" in h.output())
    finally:
        h.stop()


# --- /metrics: a strict, bounded HTTP/1.1 server ---

def test_metrics_http_errors_and_limits():
    h = started(options=["set metrics-read-timeout 1"])
    try:
        st, hd, body = http_get(h.port, path="/")
        assert st == 404 and hd["connection"] == "close"
        st, hd, _ = http_get(h.port, raw=b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert st == 405 and hd["allow"] == "GET, HEAD"
        st, hd, body = http_get(h.port, raw=b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert st == 200 and body == b"" and int(hd["content-length"]) > 0
        st, _, _ = http_get(h.port, raw=b"GET /metrics HTTP/1.1\r\n\r\n")   # no Host
        assert st == 400
        st, _, _ = http_get(h.port, raw=b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03")
        assert st == 400
        st, _, _ = http_get(h.port, raw=b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n")
        assert st == 414
        st, _, _ = http_get(h.port, raw=b"GET /metrics HTTP/1.1\r\nHost: x\r\n" +
                            b"X-Pad: " + b"b" * 9000 + b"\r\n")
        assert st == 431
        # curl against an error: real client, real status
        r = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                 "http://127.0.0.1:%d/nothing" % h.port])
        assert r.stdout == "404", r.stdout
        # a client that never finishes its request gets 408 after the timeout
        t0 = time.time()
        st, _, _ = http_get(h.port, raw=b"GET /metrics HTTP/1.1\r\n")
        assert st == 408 and 0.5 < time.time() - t0 < 5
        # idle clients hold every slot: the next one waits in the backlog
        # and is answered once the read deadline has freed the slots
        idle = [socket.create_connection(("127.0.0.1", h.port)) for _ in range(16)]
        time.sleep(0.2)
        t0 = time.time()
        st, _, _ = http_get(h.port)
        assert st == 200 and time.time() - t0 > 0.5, time.time() - t0
        for s in idle:
            s.settimeout(5)
            assert s.recv(64).startswith(b"HTTP/1.1 408 ")
            s.close()
        # and the helper is still there, serving
        assert wait_for(lambda: http_get(h.port)[0] == 200, timeout=5)
        assert h.p.poll() is None
    finally:
        h.stop()


def test_helper_survives_sigstop_sigcont_in_a_timed_poll():
    # an idle /metrics client gives poll() a timeout; SIGSTOP/SIGCONT then
    # resumes it through restart_syscall, which the policy must allow
    h = started(options=["set metrics-read-timeout 30"])
    try:
        idle = socket.create_connection(("127.0.0.1", h.port))
        time.sleep(0.3)
        os.kill(h.p.pid, signal.SIGSTOP)
        time.sleep(0.3)
        os.kill(h.p.pid, signal.SIGCONT)
        time.sleep(0.3)
        assert h.p.poll() is None, "killed: %s\n%s" % (h.p.returncode, h.output())
        assert http_get(h.port)[0] == 200
        idle.close()
    finally:
        h.stop()


def test_helper_exits_when_the_supervisor_goes():
    h = started()
    os.close(h.w)
    assert h.wait_exit(timeout=10) == 0
    assert "statistics pipe closed" in h.output()
    h.stop()


# --- confinement ---

def test_helper_is_confined_and_cloister_audit_agrees():
    need_agentx()
    m = Snmpd()
    h = started(m)
    try:
        st = proc_status(h.p.pid)
        assert st["Uid"].split()[0] != "0" and len(set(st["Uid"].split())) == 1
        assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
        assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1"
        with open(policy("snmpd-helper")) as f:
            root = re.search(r"^root\s+(\S+)", f.read(), re.M).group(1)
        assert os.readlink("/proc/%d/root" % h.p.pid) == root
        # it holds sockets and pipes only (and /dev/null on 0-2, which the
        # sandbox keeps so that no later open lands there, and on the
        # stats fd when started without a stats pipe): no file, no dir
        kinds = set()
        for fd in os.listdir("/proc/%d/fd" % h.p.pid):
            target = os.readlink("/proc/%d/fd/%s" % (h.p.pid, fd))
            if (int(fd) <= 2 or int(fd) == FD_STATS) and target == "/dev/null":
                continue
            kinds.add(target.split(":")[0])
        assert kinds <= {"socket", "pipe"}, kinds
        r = run([tool("cloister-audit"), "-d", POLICY_DIR,
                 "%d:snmpd-helper" % h.p.pid])
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 processes audited, 0 drifts" in r.stdout, r.stdout
        r = run([tool("cloister-audit"), "--json", "-d", POLICY_DIR,
                 "%d:snmpd-helper" % h.p.pid])
        assert '"Seccomp": 2' in r.stdout.replace('"Seccomp":2', '"Seccomp": 2'), r.stdout
    finally:
        h.stop()
        m.stop()


def test_snmp_is_never_in_the_root_process():
    # the supervisor's sources never include net-snmp...
    sup = os.path.join(os.path.dirname(POLICY_DIR), "supervisor")
    for dirpath, _d, files in os.walk(sup):
        for f in files:
            if f.endswith((".c", ".h", "meson.build")):
                with open(os.path.join(dirpath, f)) as fh:
                    text = fh.read()
                assert "net-snmp" not in text and "dep_snmp" not in text, f
    # ...and, once built, cloisterd links no SNMP library
    try:
        cloisterd = tool("cloisterd")
    except FileNotFoundError:
        cloisterd = None
    if cloisterd:
        r = run(["ldd", cloisterd])
        assert "snmp" not in r.stdout, r.stdout
    # the helper, which does link it, confines itself (the test above) and
    # holds no capability from the first poll on
    if "libnetsnmp" in run(["ldd", tool("cloister-snmpd")]).stdout:
        h = started()
        try:
            assert int(proc_status(h.p.pid)["CapEff"], 16) == 0
        finally:
            h.stop()
    if cloisterd is None:
        raise Skip("cloisterd not built yet: its libraries are not checked")


# --- crash-only: the master or the helper dies ---

def test_kill_9_of_snmpd_makes_the_helper_exit_and_reregister():
    need_agentx()
    m = Snmpd()
    h = started(m)
    try:
        act = StandaloneActivity(h)
        act.logins(ok=1)
        act.publish()
        walk_until(m.port, lambda w: len(service_rows(w)) == 4)
        m.kill(signal.SIGKILL)
        rc = h.wait_exit(timeout=15)
        assert rc == 1, "helper did not leave cleanly: %s\n%s" % (rc, h.output())
        assert "AgentX master closed the session" in h.output()
        assert "reconnecting in" not in h.output()       # net-snmp's own retry is off
        # the supervisor's part: start the master again, then the helper
        m2 = Snmpd(port=m.port, tmp=m.tmp)
        try:
            h.start()
            h.confined()
            act.logins(ok=1)
            act.publish()
            w = walk_until(m2.port, lambda w: service_rows(w).get("imapd", {}).get(6) == 2)
            assert len(service_rows(w)) == 4
        finally:
            m2.stop()
    finally:
        h.stop()
        m.stop()


def test_a_master_that_stops_cleanly_is_a_lost_master_too():
    need_agentx()
    m = Snmpd()
    h = started(m)
    try:
        m.kill(signal.SIGTERM)         # snmpd closes its AgentX sessions
        rc = h.wait_exit(timeout=15)
        assert rc == 1, (rc, h.output())
        assert "AgentX master closed the session" in h.output()
    finally:
        h.stop()
        m.stop()


def test_kill_9_of_the_helper_leaves_the_master_and_it_reregisters():
    need_agentx()
    m = Snmpd()
    h = started(m)
    try:
        act = StandaloneActivity(h)
        act.publish()
        walk_until(m.port, lambda w: len(service_rows(w)) == 4)
        h.p.kill()
        h.p.wait(timeout=10)
        # the master forgets the subtree and keeps answering
        assert wait_for(lambda: snmpwalk(m.port) == {}, timeout=15)
        r = run(["snmpget", "-v2c", "-c", "public", "127.0.0.1:%d" % m.port,
                 ".1.3.6.1.2.1.1.3.0"])
        assert r.returncode == 0 and "Timeticks" in r.stdout, r.stdout + r.stderr
        # restarted, the helper registers again
        h.start()
        h.confined()
        act.publish()
        walk_until(m.port, lambda w: len(service_rows(w)) == 4)
        assert m.p.poll() is None
    finally:
        h.stop()
        m.stop()


# --- a hostile or broken master ---

GARBAGE = {
    "random bytes": os.urandom(64),
    "text": b"HTTP/1.1 200 OK\r\nServer: not-agentx\r\n\r\n",
    "a 1 GiB payload announced": ax_header(18, b"")[:16] + (1 << 30).to_bytes(4, "big"),
    "an unparsable Get": ax_header(5, b"\x04\x04\x00\x00" + b"\x00\x00\x00\x01"),
    "a Register, which masters never send": ax_header(3, b"\x00" * 8),
    "a wrong version": b"\x02" + ax_header(18, b"\x00" * 8)[1:],
    "a payload length not a multiple of 4": ax_header(18, b"\x00" * 7),
}


def fake_master_session(send, timeout=15):
    fm = FakeMaster()
    h = Helper(agentx_socket=fm.path)
    try:
        got = fm.accept_and_register()
        assert got[:1] == [1] and 3 in got, "expected Open then Register: %s" % got
        h.confined()
        send(fm)
        t0 = time.time()
        rc = h.wait_exit(timeout=timeout)
        return rc, time.time() - t0, h.output()
    finally:
        h.stop()
        fm.close()


def test_malformed_agentx_from_a_fake_master_makes_the_helper_exit_cleanly():
    need_agentx()
    for what, data in GARBAGE.items():
        rc, took, out = fake_master_session(lambda fm, d=data: fm.send(d))
        assert rc == 1, "%s: exit %s (a negative status is a signal)\n%s" % (what, rc, out)
        assert "malformed AgentX from the master" in out, (what, out)
        assert took < 10, (what, took)
    # a master that hangs up is a lost master, not a crash
    rc, _took, out = fake_master_session(lambda fm: fm.conn.close())
    assert rc == 1 and "closed the session" in out, out


def test_a_master_that_never_answers_the_open_is_left_in_bounded_time():
    need_agentx()
    fm = FakeMaster()
    fm.sock.settimeout(20)
    h = Helper(agentx_socket=fm.path, options=["set agentx-retry 2"])
    try:
        conn, _ = fm.sock.accept()
        # net-snmp gives up on the Open after its own timeout; the helper
        # then confines and serves /metrics alone until agentx-retry
        h.confined(timeout=30)
        # the line may reach the log a moment after the confinement line
        deadline = time.time() + 10
        while "no AgentX session" not in h.output() and \
                time.time() < deadline:
            time.sleep(0.05)
        assert "no AgentX session" in h.output(), h.output()
        assert http_get(h.port)[0] == 200
        t0 = time.time()
        rc = h.wait_exit(timeout=30)
        assert rc == 1, (rc, h.output())
        assert time.time() - t0 < 10
        assert "still no master" in h.output(), h.output()
        conn.close()
    finally:
        h.stop()
        fm.close()


def test_no_master_at_start_metrics_are_served_until_the_next_attempt():
    need_agentx()
    tmp = tempfile.mkdtemp(prefix="cloister-nomaster-")
    h = Helper(agentx_socket=os.path.join(tmp, "agentx.sock"),
               options=["set agentx-retry 3"])
    try:
        h.confined()
        t0 = time.time()
        h.send(*period([dict(index=0, name="imapd", auth_ok=2)]))
        assert wait_for(lambda: sample(metrics(h.port)[0], "cloister_logins_total",
                                       service="imapd", result="ok") == 2)
        rc = h.wait_exit(timeout=20)
        took = time.time() - t0
        assert rc == 1 and 1.5 < took < 10, (rc, took, h.output())
        # spaced exits: a supervisor counting 5 start failures in 10 s
        # never holds the service while snmpd is away
        assert "next attempt in 3 s" in h.output(), h.output()
    finally:
        h.stop()


def test_without_net_snmp_the_helper_builds_and_serves_metrics_only():
    if shutil.which("meson") is None or shutil.which("ninja") is None:
        raise Skip("meson/ninja not installed")
    top = os.path.dirname(POLICY_DIR)
    bdir = tempfile.mkdtemp(prefix="cloister-nosnmp-")
    r = run(["meson", "setup", bdir, top, "-Dsnmp=disabled"], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["ninja", "-C", bdir, "snmpd-helper/cloister-snmpd"], timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    binary = os.path.join(bdir, "snmpd-helper", "cloister-snmpd")
    assert "snmp" not in run(["ldd", binary]).stdout
    h = Helper(agentx_socket="/nonexistent/agentx", binary=binary)
    try:
        h.confined()
        h.send(*period([dict(index=0, name="imapd", auth_ok=4)]))
        assert wait_for(lambda: sample(metrics(h.port)[0], "cloister_logins_total",
                                       service="imapd", result="ok") == 4)
        assert "this build has no net-snmp" in h.output(), h.output()
    finally:
        h.stop()
        shutil.rmtree(bdir, ignore_errors=True)
