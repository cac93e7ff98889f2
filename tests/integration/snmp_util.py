"""Helpers for the cloister-snmpd tests: a private Debian snmpd as
AgentX master, the helper started standalone (the test plays the
supervisor: it owns the statistics pipe and the /metrics listener), the
aggregate records of common/stats.h, and small clients (snmpwalk, a
/metrics fetcher and exposition-format parser, a fake AgentX master).

Everything listens on 127.0.0.1 ports found by binding port 0, and lives in
temporary directories."""
import fcntl
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile

from harness import TOP, policy, run, service_block, tool, wait_for

MIB_DIR = os.path.join(TOP, "snmpd-helper")
STANDIN_MIBS = os.path.join(TOP, "tests", "mibs")
SYSTEM_IETF_MIBS = "/usr/share/snmp/mibs/ietf"
ENTERPRISE = "1.3.6.1.4.1.99999"

# common/stats.h, struct stats_aggregate, host order, no padding
ST_COUNTERS = ["connections", "auth_ok", "auth_fail", "commands", "bytes_in",
               "bytes_out", "errors", "deliveries", "recipients", "rejections",
               "store_ops", "store_appends"]
SG_GAUGES = ["users", "messages"]
AGG_FORMAT = "=IHH16s12Q2QII6QQIIQQ"
AGG_SIZE = struct.calcsize(AGG_FORMAT)
STATS_MAGIC = 0x434C5332
STATS_GLOBAL = 0xFFFF


def agg(index, name, processes=0, max_processes=0, spawns=0, exits_ok=0,
        exits_error=0, crashes=0, restarts=0, refusals=0, uptime_s=0,
        generation=0, held=0, start_failures=0, backoffs=0, **figures):
    """One struct stats_aggregate. figures: counters and gauges by the
    names above (connections=3, users=2, ...)."""
    counters = [figures.pop(n, 0) for n in ST_COUNTERS]
    gauges = [figures.pop(n, 0) for n in SG_GAUGES]
    assert not figures, "unknown figures: %s" % figures
    return struct.pack(AGG_FORMAT, STATS_MAGIC, AGG_SIZE, index,
                       name.encode(), *counters, *gauges, processes,
                       max_processes, spawns, exits_ok, exits_error, crashes,
                       restarts, refusals, uptime_s, generation, held,
                       start_failures, backoffs)


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def mib_path():
    """-M for snmptranslate/snmpwalk: the real IETF modules if the system
    has them, else the stand-ins in tests/mibs (see its README)."""
    base = SYSTEM_IETF_MIBS if os.path.exists(
        os.path.join(SYSTEM_IETF_MIBS, "SNMPv2-SMI")) else STANDIN_MIBS
    return MIB_DIR + ":" + base


class Snmpd:
    """Debian's snmpd as AgentX master: its own config (-C -c), in the
    foreground, UDP on a free loopback port, the AgentX socket in a temp
    dir. Killed by stop()."""

    def __init__(self, port=None, tmp=None):
        if shutil.which("snmpd") is None:
            raise FileNotFoundError("snmpd (Debian package snmpd) is not installed")
        self.tmp = tmp or tempfile.mkdtemp(prefix="cloister-snmpd-master-")
        self.port = port or free_port(socket.SOCK_DGRAM)
        self.socket = os.path.join(self.tmp, "agentx.sock")
        conf = os.path.join(self.tmp, "snmpd.conf")
        with open(conf, "w") as f:
            f.write("master agentx\n"
                    "agentXSocket %s\n"
                    "agentXPerms 0700 0700\n"
                    "agentXTimeout 2\n"
                    "rocommunity public 127.0.0.1\n"
                    "rwcommunity private 127.0.0.1\n" % self.socket)
        env = dict(os.environ, SNMP_PERSISTENT_DIR=os.path.join(self.tmp, "persist"),
                   MIBS="", MIBDIRS=os.path.join(self.tmp, "no-mibs"))
        self.log = open(os.path.join(self.tmp, "snmpd.log"), "w+")
        self.p = subprocess.Popen(
            ["snmpd", "-f", "-Lo", "-C", "-c", conf, "-I", "-smux", "-p",
             os.path.join(self.tmp, "snmpd.pid"), "udp:127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        ok = wait_for(lambda: self.p.poll() is not None or
                      (os.path.exists(self.socket) and self._answers()), timeout=20, step=0.1)
        assert ok and self.p.poll() is None, "snmpd did not start:\n" + self.output()

    def _answers(self):
        r = run(["snmpget", "-v2c", "-c", "public", "-t", "0.5", "-r", "0",
                 "127.0.0.1:%d" % self.port, ".1.3.6.1.2.1.1.3.0"], timeout=10)
        return r.returncode == 0

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def kill(self, sig=signal.SIGKILL):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        self.p.wait(timeout=10)

    def stop(self):
        self.kill()
        self.log.close()


class Helper:
    """cloister-snmpd started as cloisterd would: as root with --config
    --service --instance, the statistics pipe's read end at fd 7, the
    /metrics listener at fd 16, log lines on stderr."""

    def __init__(self, agentx_socket=None, policy_path=None, options=(),
                 metrics_port=None, tmp=None, extra_listeners=0, prefix=(),
                 binary=None):
        self.prefix = list(prefix)     # e.g. strace, for debugging
        self.binary = binary or tool("cloister-snmpd")
        self.tmp = tmp or tempfile.mkdtemp(prefix="cloister-snmpd-")
        self.listeners = []
        ports = [metrics_port or 0] + [0] * extra_listeners
        for p in ports:
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", p))
            ls.listen(16)
            self.listeners.append(ls)
        self.port = self.listeners[0].getsockname()[1]
        pol = policy_path or policy("snmpd-helper")
        listens = ["metrics%d tcp 127.0.0.1:%d plain" % (i, ls.getsockname()[1])
                   for i, ls in enumerate(self.listeners)]
        agentx = {"agentx": "yes", "agentx-socket": agentx_socket} \
            if agentx_socket else {}
        blk = service_block("snmpd-helper", "stats", self.binary,
                            os.path.basename(pol), listens, options=agentx,
                            lines=["  " + o for o in options])
        self.config = os.path.join(self.tmp, "cloister.conf")
        with open(self.config, "w") as f:
            f.write("policy-dir %s\n%s\n" % (os.path.dirname(pol), blk))
        self.start()

    def start(self):
        r, self.w = os.pipe()
        fds = {7: r}
        for i, ls in enumerate(self.listeners):
            fds[16 + i] = ls.fileno()

        def child_fds():
            # dup into the fixed numbers of common/fds.h; every other fd
            # closes at exec (subprocess's pass_fds wants them open already)
            tmp = {src: fcntl.fcntl(src, fcntl.F_DUPFD, 200) for src in fds.values()}
            for dst, src in fds.items():
                os.dup2(tmp[src], dst, inheritable=True)
            for name in os.listdir("/proc/self/fd"):
                fd = int(name)
                if fd > 2 and fd not in fds:
                    try:
                        fcntl.fcntl(fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
                    except OSError:
                        pass
        # the log goes through a pipe: rlimit fsize 0 forbids the confined
        # helper to write a regular file (SIGXFSZ)
        self.log = open(os.path.join(self.tmp, "helper.log"), "a+")
        self.cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=self.log)
        self.p = subprocess.Popen(
            self.prefix + [self.binary, "--config", self.config, "--service",
             "snmpd-helper", "--instance", "1", "--foreground"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.cat.stdin,
            preexec_fn=child_fds, close_fds=False)
        self.cat.stdin.close()
        os.close(r)

    def confined(self, timeout=20):
        """Wait until the helper has loaded its seccomp filter."""
        def done():
            if self.p.poll() is not None:
                return True
            try:
                with open("/proc/%d/status" % self.p.pid) as f:
                    return "Seccomp:\t2" in f.read()
            except (FileNotFoundError, ProcessLookupError):
                return True
        ok = wait_for(done, timeout=timeout)
        assert ok and self.p.poll() is None, "helper did not confine:\n" + self.output()

    def send(self, *records):
        os.write(self.w, b"".join(records))

    def output(self):
        if self.p.poll() is not None:
            self.cat.wait(timeout=10)
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def wait_exit(self, timeout=20):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=10)
        try:
            os.close(self.w)
        except OSError:
            pass
        self.cat.wait(timeout=10)
        self.log.close()

    def close_listeners(self):
        for ls in self.listeners:
            ls.close()


def period(services, uptime_s=10, generation=0):
    """The records of one supervisor period: each service, then GLOBAL.
    services: list of dicts of agg() arguments (index and name required)."""
    return [agg(**s) for s in services] + [
        agg(STATS_GLOBAL, "", uptime_s=uptime_s, generation=generation)]


# --- SNMP clients ---

def snmpwalk(port, oid=ENTERPRISE, mibs=False, timeout=30):
    """snmpwalk -v2c -c public 127.0.0.1:PORT OID. Returns {oid: (type,
    value)} with numeric OIDs (without the leading dot), or with MIB names
    when mibs is set (-m CLOISTER-MIB)."""
    args = ["snmpwalk", "-v2c", "-c", "public", "-t", "2", "-r", "1",
            "-Oe", "-Ot", "-OU"]
    if mibs:
        args += ["-M", mib_path(), "-m", "CLOISTER-MIB", "-OS"]
    else:
        args += ["-On", "-m", "", "-M", "/nonexistent"]
    r = run(args + ["127.0.0.1:%d" % port, oid], timeout=timeout)
    assert r.returncode == 0, "snmpwalk failed:\n" + r.stdout + r.stderr
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^\.?(\S+) = (?:(\w[\w ]*): )?(.*)$", line)
        assert m, "unparsed snmpwalk line: " + line
        name, typ, val = m.groups()
        if typ is None and val.startswith("No Such"):
            continue
        out[name] = (typ, val.strip('"'))
    return out


def service_rows(walk):
    """Numeric walk -> {service name: {column number: int or str}}."""
    prefix = ENTERPRISE + ".1.2.1."
    cols = {}
    for oid, (_t, val) in walk.items():
        if oid.startswith(prefix):
            col, row = oid[len(prefix):].split(".")
            cols.setdefault(int(row), {})[int(col)] = val
    rows = {}
    for _row, c in cols.items():
        rows[c[2]] = {k: (v if k == 2 else int(v)) for k, v in c.items()}
    return rows


def scalars(walk):
    """Numeric walk -> {'1.2': value, '3.1': value, ...} for the scalars."""
    out = {}
    for oid, (_t, val) in walk.items():
        m = re.match(re.escape(ENTERPRISE) + r"\.1\.([13]\.\d+)\.0$", oid)
        if m:
            out[m.group(1)] = val
    return out


# --- /metrics ---

def http_get(port, raw=None, path="/metrics", timeout=10):
    """Send one request (raw bytes, or a GET for path) and read the whole
    reply until the server closes. Returns (status, headers, body)."""
    req = raw if raw is not None else (
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)$" % (METRIC_NAME, LABEL, LABEL))


def parse_exposition(text):
    """A strict reader of Prometheus text format 0.0.4: every line is a
    HELP, a TYPE or a sample; a family's HELP and TYPE come once and before
    its samples; counters end in _total; values are numbers; no series
    twice. Returns {(name, frozenset(labels.items())): float} and
    {name: type}."""
    assert text.endswith("\n"), "exposition must end with a newline"
    types, helps, samples, seen_samples_of = {}, set(), {}, set()
    for line in text.splitlines():
        assert line == line.strip() and line, "blank or padded line: %r" % line
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert re.fullmatch(METRIC_NAME, name), line
            assert name not in helps, "HELP twice: " + name
            assert name not in seen_samples_of, "HELP after samples: " + name
            helps.add(name)
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            assert len(parts) == 4 and parts[3] in (
                "counter", "gauge", "untyped", "histogram", "summary"), line
            assert parts[2] not in types, "TYPE twice: " + parts[2]
            assert parts[2] not in seen_samples_of, "TYPE after samples: " + parts[2]
            types[parts[2]] = parts[3]
        elif line.startswith("#"):
            continue
        else:
            m = SAMPLE.match(line)
            assert m, "bad sample line: %r" % line
            name, labels, value = m.group(1), m.group(2), m.group(3)
            assert name in types, "sample before its TYPE: " + name
            if types[name] == "counter":
                assert name.endswith("_total"), "counter without _total: " + name
            lab = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
            v = float(value)
            assert v == v, "NaN in " + line
            key = (name, frozenset(lab.items()))
            assert key not in samples, "series twice: " + line
            samples[key] = v
            seen_samples_of.add(name)
    return samples, types


def metrics(port):
    status, headers, body = http_get(port)
    assert status == 200, (status, body)
    assert headers.get("content-type", "").startswith("text/plain; version=0.0.4")
    assert headers.get("connection") == "close"
    assert int(headers["content-length"]) == len(body)
    return parse_exposition(body.decode())


def sample(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


# --- a fake AgentX master ---

def ax_header(ptype, payload, session=1, packet=0, flags=0x10):
    return struct.pack(">BBBBIIII", 1, ptype, flags, 0, session, 0, packet,
                       len(payload)) + payload


def ax_read_pdu(conn, timeout=10):
    conn.settimeout(timeout)
    head = b""
    while len(head) < 20:
        chunk = conn.recv(20 - len(head))
        if not chunk:
            return None
        head += chunk
    flags = head[2]
    length = struct.unpack(">I" if flags & 0x10 else "<I", head[16:20])[0]
    body = b""
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    packet = struct.unpack(">I" if flags & 0x10 else "<I", head[12:16])[0]
    return head[1], packet, body


def ax_response(packet, session=1, error=0):
    # sysUpTime, error, index; no varbinds
    return ax_header(18, struct.pack(">IHH", 0, error, 0), session=session,
                     packet=packet)


class FakeMaster:
    """Accepts one subagent on a unix socket, answers its Open and its
    Register(s) with success, then sends whatever the test asks."""

    def __init__(self, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="cloister-fake-master-")
        self.path = os.path.join(self.tmp, "agentx.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.conn = None

    def accept_and_register(self, timeout=20):
        self.sock.settimeout(timeout)
        self.conn, _ = self.sock.accept()
        got = []
        while True:
            pdu = ax_read_pdu(self.conn, timeout=2)
            if pdu is None:
                break
            ptype, packet, _body = pdu
            got.append(ptype)
            self.conn.sendall(ax_response(packet))
            if ptype == 3:      # Register: the helper is about to confine
                break
        return got

    def send(self, data):
        self.conn.sendall(data)

    def close(self):
        if self.conn:
            self.conn.close()
        self.sock.close()


# --- the figures table (snmpd-helper/figures.c), read by the tests so that
# the MIB, the agent and /metrics are all compared against one source ---

def figure_tables():
    """Returns (columns, scalars): columns is a list of dicts {col, mib,
    kind, metric, label}; scalars of {group, item, mib, kind, metric}."""
    with open(os.path.join(TOP, "snmpd-helper", "figures.c")) as f:
        text = f.read()
    s = r"\s*"
    str_or_null = r'(NULL|"(?:[^"\\]|\\.)*")'
    col_re = re.compile(r"\{" + s + r"(\d+)," + s + r'"(\w+)",' + s + r"FIG_(\w+)," + s +
                        str_or_null + "," + s + str_or_null + ",")
    sc_re = re.compile(r"\{" + s + r"FIG_(GENERAL|STORE)," + s + r"(\d+)," + s +
                       r'"(\w+)",' + s + r"FIG_(\w+)," + s + str_or_null + ",")

    def unq(v):
        return None if v == "NULL" else v[1:-1].replace('\\"', '"')
    columns = [dict(col=int(m[0]), mib=m[1], kind=m[2], metric=unq(m[3]),
                    label=unq(m[4])) for m in col_re.findall(text)]
    scalars = [dict(group=1 if m[0] == "GENERAL" else 3, item=int(m[1]), mib=m[2],
                    kind=m[3], metric=unq(m[4])) for m in sc_re.findall(text)]
    assert len(columns) >= 20 and len(scalars) >= 8, "figures.c changed shape"
    return columns, scalars


def label_dict(label):
    """'result="ok"' -> {'result': 'ok'}"""
    return dict(re.findall(r'(\w+)="([^"]*)"', label or ""))


# --- what a test needs before it can run ---

def need_agentx():
    """Skip unless the helper was built with net-snmp and snmpd exists."""
    from harness import Skip
    r = run(["ldd", tool("cloister-snmpd")])
    if "libnetsnmpagent" not in r.stdout:
        raise Skip("cloister-snmpd built without net-snmp (meson feature "
                   "'snmp' disabled or libsnmp-dev missing): AgentX not tested")
    for prog in ("snmpd", "snmpwalk"):
        if shutil.which(prog) is None:
            raise Skip("%s not installed (scripts/install-deps --test)" % prog)


# --- activity that makes the counters move ---

class StandaloneActivity:
    """Plays the supervisor's part while cloisterd, imapd and lmtpd are not
    in the tree: keeps per-service totals as cloisterd would and writes a
    period of aggregate records to the helper's pipe. Tests use only
    logins(), deliveries() and publish(); a ServerActivity doing real IMAP
    logins and LMTP deliveries against cloister_server.py can replace it
    without touching the tests."""

    SERVICES = [("imapd", 100), ("lmtpd", 20), ("stored", 1), ("snmpd-helper", 1)]

    def __init__(self, helper):
        self.helper = helper
        self.uptime = 100
        self.figs = {name: dict(index=i, name=name, processes=1, max_processes=mx,
                                spawns=1) for i, (name, mx) in enumerate(self.SERVICES)}
        self.figs["stored"].update(users=3, messages=10)

    def _add(self, service, **deltas):
        for k, v in deltas.items():
            self.figs[service][k] = self.figs[service].get(k, 0) + v

    def logins(self, ok=1, failed=0):
        self._add("imapd", connections=ok + failed, auth_ok=ok, auth_fail=failed,
                  commands=3 * (ok + failed), bytes_in=40 * (ok + failed),
                  bytes_out=200 * (ok + failed))
        self._add("stored", store_ops=ok)

    def deliveries(self, n=1):
        self._add("lmtpd", connections=1, recipients=n, deliveries=n, commands=4 + n)
        self._add("stored", store_ops=n, store_appends=n, messages=n)

    def publish(self):
        self.uptime += 1
        self.helper.send(*period(list(self.figs.values()), uptime_s=self.uptime))
