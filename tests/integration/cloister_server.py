"""cloister_server: a real cloisterd for end-to-end tests.

    from cloister_server import CloisterServer

    IMAPD = '''
    service imapd {
      role connection
      binary @bin:cloister-imapd@
      policy imapd.policy
      listen imap tcp 127.0.0.1:@port:imap@ starttls
      spares 2
      set auth yes
    }'''
    with CloisterServer([AUTHD, STORED, IMAPD], options={"tls-cert": ...}) as srv:
        srv.start()                      # returns once listeners accept
        s = socket.create_connection(("127.0.0.1", srv.port("imap")))

Services are config blocks (docs/configuration.md) with placeholders:
    @port:NAME@     a free 127.0.0.1 port (the same NAME gives the same port)
    @port6:NAME@    a free ::1 port
    @path:NAME@     a unix socket path under the temporary runtime dir
    @bin:NAME@      a built binary, found in the build dir (CLOISTER_BUILD)
    @standin:NAME@  a copy of cloister-standin named NAME, e.g.
                    @standin:cloister-imapd@, so that cloister-audit matches
                    it to the policy whose 'process' is that name
    @tmp@ @run@ @state@  the temporary top, runtime and state dirs
Everything lives in one temporary directory: the config, the runtime dir
(pid file, sockets), the state dir, and copies of policy/*.policy in which
the roots of the services that write (stored, authd) point at temporary
root-owned dirs laid out like scripts/setup-system does (pass roots= to
change that). Nothing fixed is shared with other tests running at the same
time. cloisterd runs with -f; its log lines are in srv.log.
"""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from harness import POLICY_DIR, tool, wait_for

# policy name -> how its temporary root is made (stored and authd write or
# hold private files; the empty chroots of the others are shared read-only)
DEFAULT_ROOTS = ("stored", "authd")


def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# Each server takes a range of worker uids of its own (cloisterd refuses a
# range that overlaps one in use): blocks of 65536 ids from 1e9, below the
# production default (2000000000-2000065535).
UID_BLOCK = 65536
UID_BASE = 1000000000


def worker_uid_range():
    first = UID_BASE + random.randrange(15000) * UID_BLOCK
    return first, first + UID_BLOCK - 1


def _make_root(path, name):
    """A chroot like setup-system's: root-owned, not writable by others."""
    os.makedirs(path, exist_ok=True)
    os.chown(path, 0, 0)
    if name == "stored":
        os.chmod(path, 0o755)
        data = os.path.join(path, "data")
        os.makedirs(data, exist_ok=True)
        shutil.chown(data, "cloister-store", "cloister-store")
        # setgid: every stored instance (each its own uid) reaches the
        # spool through the group cloister-store
        os.chmod(data, 0o2770)
    elif name == "authd":
        shutil.chown(path, "root", "cloister-auth")
        os.chmod(path, 0o750)
    else:
        os.chmod(path, 0o755)


class Child:
    def __init__(self, pid, argv):
        self.pid = pid
        self.argv = argv
        self.exe = os.path.basename(argv[0]) if argv else ""

        def arg(name):
            return argv[argv.index(name) + 1] if name in argv else None
        self.service = arg("--service")
        self.instance = int(arg("--instance") or 0)
        shard = arg("--shard")
        self.shard = int(shard) if shard is not None else None

    def __repr__(self):
        return "Child(%d %s #%d)" % (self.pid, self.service, self.instance)


def _proc_children(ppid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            if int(stat.rsplit(")", 1)[1].split()[1]) != ppid:
                continue
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0") if a]
        except (OSError, ValueError, IndexError):
            continue
        out.append(Child(int(d), argv))
    return out


class CloisterServer:
    def __init__(self, services, options=None, shards=1, roots=None,
                 policy_edits=None, debug=True, globals_text=""):
        self.tmp = tempfile.mkdtemp(prefix="cloister-srv-")
        os.chmod(self.tmp, 0o755)
        self.run_dir = os.path.join(self.tmp, "run")
        self.state_dir = os.path.join(self.tmp, "state")
        self.policy_dir = os.path.join(self.tmp, "policy")
        self.bin_dir = os.path.join(self.tmp, "bin")
        self.config_path = os.path.join(self.tmp, "cloister.conf")
        for d in (self.run_dir, self.state_dir, self.policy_dir, self.bin_dir):
            os.makedirs(d, mode=0o755)
        self.ports = {}
        self.paths = {}
        self._uids = worker_uid_range()
        self._uids_fixed = False
        self.debug = debug
        self.proc = None
        self.log = []
        self._reader = None
        self._copy_policies(DEFAULT_ROOTS if roots is None else roots,
                            policy_edits or {})
        self.write_config(services, options, shards, globals_text)

    # ---- configuration ----

    def _copy_policies(self, roots, edits):
        self.roots = {}
        for f in sorted(os.listdir(POLICY_DIR)):
            if not f.endswith(".policy"):
                continue
            name = f[:-len(".policy")]
            with open(os.path.join(POLICY_DIR, f)) as src:
                text = src.read()
            if name in roots:
                root = os.path.join(self.tmp, "roots", name)
                _make_root(root, name)
                text = re.sub(r"^root\s+\S+", "root          " + root, text,
                              flags=re.M)
                self.roots[name] = root
            if name in edits:
                text = edits[name](text)
            with open(os.path.join(self.policy_dir, f), "w") as dst:
                dst.write(text)

    def _expand(self, text):
        def sub(m):
            kind, name = m.group(1), m.group(2)
            if kind in ("port", "port6"):
                key = (kind, name)
                while key not in self.ports:
                    # the kernel may hand out the same free port twice in
                    # a row: two listeners of one config must differ
                    p = free_port("::1" if kind == "port6" else "127.0.0.1")
                    if p not in self.ports.values():
                        self.ports[key] = p
                return str(self.ports[key])
            if kind == "path":
                self.paths[name] = os.path.join(self.run_dir, name + ".sock")
                return self.paths[name]
            if kind == "bin":
                return tool(name)
            if kind == "standin":
                path = os.path.join(self.bin_dir, name)
                if not os.path.exists(path):
                    shutil.copy2(tool("cloister-standin"), path)
                return path
            raise KeyError("unknown placeholder @%s:%s@" % (kind, name))
        text = re.sub(r"@(port6?|path|bin|standin):([\w.-]+)@", sub, text)
        return (text.replace("@tmp@", self.tmp).replace("@run@", self.run_dir)
                .replace("@state@", self.state_dir))

    def write_config(self, services, options=None, shards=1, globals_text=""):
        """(Re)write the config file; ports keep their numbers by name."""
        lines = ["# written by tests/integration/cloister_server.py",
                 "state-dir     " + self.state_dir,
                 "runtime-dir   " + self.run_dir,
                 "policy-dir    " + self.policy_dir,
                 "store-shards  %d" % shards,
                 "worker-uids   %d-%d" % self.uids]
        for k, v in (options or {}).items():
            lines.append("set %s %s" % (k, v))
        lines.append(self._expand(globals_text))
        for block in services:
            lines.append(self._expand(block))
        self.config_text = "\n".join(lines) + "\n"
        with open(self.config_path, "w") as f:
            f.write(self.config_text)
        self._fit_policies_to_standins()

    # What cloister-standin calls after confining, in every role. The real
    # services' policies are pruned to what the real binaries need; a
    # service played by the stand-in gets these added where missing (in
    # this server's temporary policy copy only).
    STANDIN_SYSCALLS = ("read", "write", "readv", "writev", "recvmsg",
                        "sendmsg", "poll", "close", "accept4",
                        "munmap", "brk", "clock_gettime", "getpid",
                        "rt_sigreturn", "exit_group")
    # calls a policy allows only with argument rules (syscall-if)
    STANDIN_RULES = ("fcntl arg1==F_GETFD",
                     "fcntl arg0>=5 arg1==F_SETFL arg2&~O_NONBLOCK|O_ACCMODE|O_LARGEFILE==0",
                     "mmap arg2&PROT_EXEC==0")

    def _fit_policies_to_standins(self):
        for m in re.finditer(r"binary\s+%s/\S+\s*\n\s*policy\s+(\S+)" %
                             re.escape(self.bin_dir), self.config_text):
            path = os.path.join(self.policy_dir, m.group(1))
            with open(path) as f:
                text = f.read()
            have, rules = set(), set()
            for line in text.splitlines():
                words = line.split("#")[0].split(":")[0].split()
                if words and words[0] in ("syscall", "syscall-cwd"):
                    have.update(words[1:])
                elif words and words[0] == "errno":
                    have.update(words[2:])
                elif words and words[0] == "syscall-if":
                    rules.add(" ".join(words[1:]))
            missing = [c for c in self.STANDIN_SYSCALLS if c not in have]
            with open(path, "a") as f:
                if missing:
                    f.write("\nsyscall %s : cloister-standin plays this "
                            "service in a test\n" % " ".join(missing))
                for rule in self.STANDIN_RULES:
                    if rule not in rules:
                        f.write("syscall-if %s : cloister-standin plays this "
                                "service in a test\n" % rule)

    @property
    def uids(self):
        """(first, last): this server's worker-uids; a test that sets it
        gets exactly that range (no new draw when it is in use)."""
        return self._uids

    @uids.setter
    def uids(self, value):
        self._uids = tuple(value)
        self._uids_fixed = True

    def port(self, name):
        return self.ports.get(("port", name)) or self.ports[("port6", name)]

    def path(self, name):
        return self.paths[name]

    @property
    def pidfile(self):
        return os.path.join(self.run_dir, "cloisterd.pid")

    @property
    def pid(self):
        return self.proc.pid

    # ---- running ----

    def _read_log(self, stream):
        with open(os.path.join(self.tmp, "cloisterd.log"), "a") as keep:
            for raw in stream:
                line = raw.decode(errors="replace").rstrip("\n")
                self.log.append(line)
                keep.write(line + "\n")
                keep.flush()

    def start(self, timeout=10, prefix=()):
        """Start cloisterd -f (after prefix, e.g. a prlimit command);
        return once its listeners are bound and its pid file written.
        Raises RuntimeError with the log if it exits."""
        args = list(prefix) + [tool("cloisterd"), "-f", "-c", self.config_path]
        if self.debug:
            args.append("-d")
        # stderr is a pipe, not a file: workers get a dup of it as their log
        # fd, and a file there would be drift for cloister-audit
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_log,
                                        args=(self.proc.stderr,), daemon=True)
        self._reader.start()

        def up():
            if self.proc.poll() is not None:
                return True
            try:
                with open(self.pidfile) as f:
                    return int(f.read()) == self.proc.pid
            except (OSError, ValueError):
                return False
        wait_for(up, timeout)
        if self.proc.poll() is not None or not up():
            self.proc.wait(timeout=5)
            self._reader.join(timeout=5)
            # another server on this host drew an overlapping range: draw
            # again (a range the test chose is its to keep)
            if (not self._uids_fixed and getattr(self, "_redraws", 0) < 5 and
                    any("worker-uids" in l and "overlaps" in l
                        for l in self.log)):
                self._redraws = getattr(self, "_redraws", 0) + 1
                self._uids = worker_uid_range()
                self.config_text = re.sub(r"^worker-uids\s+\S+",
                                          "worker-uids   %d-%d" % self._uids,
                                          self.config_text, flags=re.M)
                with open(self.config_path, "w") as f:
                    f.write(self.config_text)
                self.log = []
                return self.start(timeout, prefix)
            raise RuntimeError("cloisterd did not start (exit %s):\n%s" %
                               (self.proc.returncode, "\n".join(self.log)))
        return self

    def expected_children(self):
        """{service: processes it should have when idle}: spares for
        connection services, shards for store, 1 for auth and stats."""
        want = {}
        shards = int(re.search(r"^store-shards\s+(\d+)", self.config_text,
                               re.M).group(1))
        for name, body in re.findall(r"^\s*service\s+(\S+)\s*\{(.*?)^\s*\}",
                                     self.config_text, re.M | re.S):
            role = re.search(r"^\s*role\s+(\S+)", body, re.M).group(1)
            spares = re.search(r"^\s*spares\s+(\d+)", body, re.M)
            want[name] = {"connection": int(spares.group(1)) if spares else 2,
                          "store": shards}.get(role, 1)
        return want

    def wait_ready(self, timeout=10, want=None):
        """Wait until every service has its processes (see
        expected_children) and they are confined (Seccomp 2)."""
        want = want or self.expected_children()

        def ready():
            kids = self.children()
            for svc, n in want.items():
                mine = [c for c in kids if c.service == svc]
                if len(mine) < n or not all(_seccomp(c.pid) == 2 for c in mine):
                    return False
            return True
        assert wait_for(ready, timeout), "not ready: want %s, have %s\n%s" % (
            want, self.children(), "\n".join(self.log[-30:]))

    def children(self, service=None):
        kids = _proc_children(self.proc.pid)
        return [c for c in kids if service is None or c.service == service]

    def wait_log(self, pattern, timeout=10, start=0):
        """The first log line from index start matching pattern, or None."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            for line in self.log[start:]:
                if rx.search(line):
                    return line
            if time.time() > end:
                return None
            time.sleep(0.02)

    def reload(self, services=None, options=None, shards=1, globals_text="",
               timeout=10):
        """Rewrite the config (if services given), SIGHUP, wait for the
        'reloaded' (or 'reload refused') line; returns that line."""
        if services is not None:
            self.write_config(services, options, shards, globals_text)
        mark = len(self.log)
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_log(r"reloaded|reload refused", timeout, mark)

    def audit(self, json_out=False):
        args = [tool("cloister-audit"), "-d", self.policy_dir, "-p",
                self.pidfile]
        if json_out:
            args.insert(1, "--json")
        return subprocess.run(args, capture_output=True, text=True, timeout=60)

    def leftovers(self):
        """Processes still running from this server's config snapshot."""
        mark = self.run_dir + "/config."
        out = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/cmdline" % d, "rb") as f:
                        if mark.encode() in f.read():
                            out.append(int(d))
                except OSError:
                    pass
        return out

    def stop(self, timeout=20):
        """SIGTERM and wait; returns cloisterd's exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self._reader:
            self._reader.join(timeout=5)
        return self.proc.returncode

    def close(self):
        self.stop()
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not os.environ.get("CLOISTER_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _seccomp(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Seccomp:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1
