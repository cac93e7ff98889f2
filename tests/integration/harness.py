"""Shared helpers for the integration tests (Python 3 stdlib only).

Tests are plain functions named test_* in test_*.py modules; a failed
assert fails the test. They run as root against the build tree named by
CLOISTER_BUILD (default ./build) and the policy dir CLOISTER_POLICY_DIR
(default ./policy)."""
import os
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("CLOISTER_BUILD", os.path.join(TOP, "build")))
POLICY_DIR = os.path.abspath(os.environ.get("CLOISTER_POLICY_DIR", os.path.join(TOP, "policy")))

WORKER_POLICIES = ["imapd", "jmapd", "managesieved", "lmtpd", "authd", "keyd", "stored", "snmpd-helper",
                   "mta-authd", "submitd", "pushd"]


class Skip(Exception):
    """Raise to skip a test that cannot run here (a missing optional
    feature or package); run.py reports it as skipped with the reason,
    never as passed."""


def tool(name):
    """Path of a built binary by its name."""
    for sub in ("tests", "policy", "supervisor", "store", "workers", "snmpd-helper", "."):
        for root, _dirs, files in os.walk(os.path.join(BUILD, sub)):
            if name in files and os.access(os.path.join(root, name), os.X_OK):
                return os.path.join(root, name)
    raise FileNotFoundError(name + " not built in " + BUILD)


def policy(name):
    return os.path.join(POLICY_DIR, name + ".policy")


def run(args, timeout=60, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def service_block(name, role, binary, policy, listens=(), settings=None,
                  options=None, lines=()):
    """One service block of cloister.conf (docs/configuration.md), the one
    renderer the tests use: a "listen" line per listener, settings as "key
    value" (underscores become dashes), options as "set key value"; a value
    of None leaves its line out; lines are added as they are."""
    if not policy.endswith(".policy"):
        policy += ".policy"
    out = ["service %s {" % name, "  role " + role, "  binary " + binary,
           "  policy " + policy]
    out += ["  listen " + l for l in listens]
    out += ["  %s %s" % (k.replace("_", "-"), v)
            for k, v in (settings or {}).items() if v is not None]
    out += ["  set %s %s" % (k, v) for k, v in (options or {}).items()
            if v is not None]
    out += [l for l in lines if l.strip()]
    return "\n".join(out + ["}"])


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


# cloisterd hands each worker its seccomp filter as a sealed memfd named
# "/memfd:cloister-filter:SERVICE" (at fd 26) and the worker closes it once
# it has loaded the filter; a spare not yet confined still holds it. It is
# cloisterd's hand-over, not something the worker opened, so the checks of
# what a worker holds leave it out: this is the one place that says so.
FILTER_MEMFD = "/memfd:cloister-filter:"


def proc_fds(pid):
    """{fd number: link target} of every fd pid holds; an fd closed while
    it is read is left out, and a process that is gone holds none."""
    d = "/proc/%d/fd" % pid
    out = {}
    try:
        names = os.listdir(d)
    except OSError:
        return out
    for name in names:
        try:
            out[int(name)] = os.readlink(os.path.join(d, name))
        except OSError:
            continue
    return out


def worker_fds(pid):
    """proc_fds(pid) without the seccomp filter memfd (FILTER_MEMFD)."""
    return {fd: t for fd, t in proc_fds(pid).items()
            if not t.startswith(FILTER_MEMFD)}


def steal_fd(pid, fd):
    """A copy of fd `fd` of process pid (pidfd_getfd; root): plays a
    compromised worker writing to a channel that /proc cannot open (a
    socket)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        got = libc.syscall(438, pidfd, fd, 0)   # SYS_pidfd_getfd
        assert got >= 0, os.strerror(ctypes.get_errno())
        return got
    finally:
        os.close(pidfd)


def is_sanitized(pid):
    """True when process pid runs a sanitizer build (libasan mapped): its
    quarantine keeps freed blocks, so memory bounds say nothing there, and
    it owns the allocator. False when the process is gone."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


def binary_is_sanitized(exe):
    """is_sanitized for a binary that is not running (ldd names libasan)."""
    try:
        out = subprocess.run(["ldd", exe], capture_output=True,
                             text=True).stdout
    except FileNotFoundError:
        return False
    return "libasan" in out


def wait_for(pred, timeout=5.0, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class ConfinedWorker:
    """cloister-testworker under a policy: confined, blocked on a pipe."""

    def __init__(self, policy_path):
        self.r, self.w = os.pipe()
        self.p = subprocess.Popen([tool("cloister-testworker"), policy_path],
                                  stdin=self.r, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        os.close(self.r)
        ok = wait_for(lambda: self.p.poll() is not None or
                      proc_status(self.p.pid).get("Seccomp") == "2")
        assert ok and self.p.poll() is None, \
            "worker did not confine: " + self.p.stderr.read().decode(errors="replace")

    @property
    def pid(self):
        return self.p.pid

    def stop(self):
        os.close(self.w)
        self.p.wait(timeout=10)
        self.p.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def policy_copy(name, edit):
    """A temporary policy file: the named policy with edit(text) applied.
    Lives beside a copy of sanitizer.policy so ASan builds can load it."""
    d = tempfile.mkdtemp(prefix="cloister-pol-")
    with open(policy(name)) as f:
        text = edit(f.read())
    path = os.path.join(d, name + ".policy")
    with open(path, "w") as f:
        f.write(text)
    with open(os.path.join(POLICY_DIR, "sanitizer.policy")) as src, \
            open(os.path.join(d, "sanitizer.policy"), "w") as dst:
        dst.write(src.read())
    return path


def tree_files():
    """Paths (relative to TOP) of the files of the source tree: no .git, no
    build directories, no Python caches."""
    for root, dirs, files in os.walk(TOP):
        rel = os.path.relpath(root, TOP)
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__")
                   and not (rel == "." and d.startswith("build"))]
        for name in files:
            yield os.path.relpath(os.path.join(root, name), TOP)
