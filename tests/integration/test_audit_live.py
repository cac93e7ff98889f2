"""cloister-audit reads the live filter: each worker's seccomp filter, read
from the kernel (PTRACE_SECCOMP_GET_FILTER), is the program its policy
compiles to; a process confined under a hand-weakened filter is named as
drift; the audit leaves every process running and serving, in bounded
time; the network namespace and Landlock are reported."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import TOP, ConfinedWorker, binary_is_sanitized, policy, proc_status, run, tool, wait_for
from cloister_server import CloisterServer
from imap_util import ImapServer, need_stored
from supervisor_util import FULL, LineClient

# the audit stops each worker for a moment; all of it stays well inside this
AUDIT_BOUND = 20.0
FD_NETNS = int(re.search(r"#define CLOISTER_FD_NETNS (\d+)",
                         open(os.path.join(TOP, "common", "fds.h")).read()).group(1))


class Worker(ConfinedWorker):
    """cloister-testworker (copied as cloister-imapd, so the audit matches it
    to imapd.policy by its name) under imapd.policy, optionally with one
    syscall more than the policy allows. The sandbox gives it an empty
    netns of its own; with host_netns it is handed the host's at the fd
    where cloisterd hands its shared one (fds.h), and joins that."""

    def __init__(self, extra=None, host_netns=False):
        self.dir = tempfile.mkdtemp(prefix="cloister-auditlive-")
        exe = os.path.join(self.dir, "cloister-imapd")
        shutil.copy2(tool("cloister-testworker"), exe)
        args = [exe] + (["--extra-syscall", extra] if extra else []) + \
            [policy("imapd")]
        pass_fds = ()
        if host_netns:
            ns = os.open("/proc/self/ns/net", os.O_RDONLY)
            os.dup2(ns, FD_NETNS, inheritable=True)
            os.close(ns)
            pass_fds = (FD_NETNS,)
        self.r, self.w = os.pipe()
        self.p = subprocess.Popen(args, stdin=self.r,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, pass_fds=pass_fds)
        os.close(self.r)
        if host_netns:
            os.close(FD_NETNS)
        assert wait_for(lambda: self.p.poll() is not None or
                        proc_status(self.p.pid).get("Seccomp") == "2")
        assert self.p.poll() is None, "worker did not confine"

    def stop(self):
        super().stop()
        shutil.rmtree(self.dir)


def audit(*args):
    t0 = time.time()
    r = run([tool("cloister-audit"), "-d", os.path.dirname(policy("imapd"))]
            + [str(a) for a in args], timeout=AUDIT_BOUND)
    return r, time.time() - t0


def running(pid):
    """Alive and not left in a stop (T: stopped, t: tracing stop)."""
    st = proc_status(pid).get("State", "")
    return st != "" and st[0] not in "TtZX"


def test_a_hand_weakened_filter_is_drift():
    with Worker() as good, Worker(extra="ptrace") as weak:
        r, took = audit(good.pid, weak.pid)
        assert took < AUDIT_BOUND
        assert r.returncode == 1, r.stdout + r.stderr
        path = policy("imapd")
        # the faithful worker: its filter is compared and matches
        assert re.search(r"seccomp filter: matches %s \(1 live, newest (\d+) "
                         r"instructions; policy \1; 0 inherited\)" % re.escape(path),
                         r.stdout), r.stdout
        assert "DRIFT imapd[%d]: live seccomp" % good.pid not in r.stderr
        # the weakened one claims to be imapd and is named with the numbers
        m = re.search(r"DRIFT imapd\[%d\]: live seccomp filter differs from %s "
                      r"\((\d+) vs (\d+) instructions, first difference at (\d+)\)"
                      % (weak.pid, re.escape(path)), r.stderr)
        assert m, r.stderr
        live, want, first = (int(g) for g in m.groups())
        assert live != want and first < min(live, want), m.group(0)
        assert "seccomp filter: DIFFERS from %s" % path in r.stdout
        # and neither is left stopped
        assert running(good.pid) and running(weak.pid)
        # the JSON says the same
        rj, _ = audit("--json", good.pid, weak.pid)
        doc = {p["pid"]: p for p in json.loads(rj.stdout)["processes"]}
        f = doc[weak.pid]["live"]["seccomp_filter"]
        assert f["match"] is False and f["first_difference"] == first, f
        assert f["live_instructions"] == [live] and f["policy_instructions"] == want
        f = doc[good.pid]["live"]["seccomp_filter"]
        assert f["match"] is True and f["first_difference"] is None, f


def test_the_network_namespace_is_reported_and_required_by_default():
    with Worker(host_netns=True) as shared, Worker() as own:
        r, _ = audit(shared.pid, own.pid)
        assert "netns: shares the host's netns" in r.stdout, r.stdout
        assert "netns: own netns" in r.stdout, r.stdout
        assert "landlock: not visible from /proc" in r.stdout
        # drift by default (and with --require-netns)
        for args in ((), ("--require-netns",)):
            r, _ = audit(*(args + (shared.pid, own.pid)))
            assert r.returncode == 1, r.stdout + r.stderr
            assert "DRIFT imapd[%d]: shares the host's netns, an own netns " \
                "is required" % shared.pid in r.stderr, r.stderr
            assert "DRIFT imapd[%d]" % own.pid not in r.stderr, r.stderr
        # a warning only, where the host has no namespaces to give
        r, _ = audit("--no-require-netns", shared.pid, own.pid)
        assert "WARNING imapd[%d]: shares the host's netns" % shared.pid in r.stderr
        assert r.returncode == 0, r.stdout + r.stderr


def test_the_running_tree_passes_and_keeps_serving():
    if not need_stored():
        return
    with ImapServer(spares=2) as srv:
        session = srv.raw_login()
        srv.srv.wait_ready(timeout=30)
        workers = srv.srv.children()
        t0 = time.time()
        r = srv.srv.audit()
        took = time.time() - t0
        assert r.returncode == 0, r.stdout + r.stderr
        assert took < AUDIT_BOUND, took
        # one filter comparison per worker, each a match against the
        # policy the worker was started with
        matches = re.findall(r"seccomp filter: matches (\S+) ", r.stdout)
        assert len(matches) == len(workers), r.stdout
        assert all(m.startswith(srv.srv.policy_dir + "/") for m in matches), matches
        doc = json.loads(srv.srv.audit(json_out=True).stdout)
        live = [p for p in doc["processes"] if p["service"] != "supervisor"]
        assert {p["service"] for p in live} == {"imapd", "authd", "stored", "keyd"}
        for p in live:
            f = p["live"]["seccomp_filter"]
            assert f["match"] and f["live_instructions"][-1] == \
                f["policy_instructions"], p
            # compiled as the worker compiles it: sanitizer.policy merged
            # exactly when the worker is a sanitizer build
            assert f["sanitizer_extras"] == binary_is_sanitized(p["exe"]), p
            assert p["live"]["netns"] in ("own", "shared")
            assert p["live"]["landlock"] == "not visible from /proc"
        # nobody was left stopped, and everyone still serves: the session
        # the audit interrupted twice, and a new login through authd/stored
        for w in workers:
            assert running(w.pid), (w, proc_status(w.pid).get("State"))
        out = session.cmd("N1", "NOOP")
        assert out[-1] is not None and out[-1].startswith(b"N1 OK"), out
        session.close()
        c = srv.raw_login()
        out = c.cmd("S1", "SELECT INBOX")
        assert out[-1] is not None and out[-1].startswith(b"S1 OK"), out
        c.close()


# Runs argv under an allow-all seccomp filter of its own, the filter the
# child inherits below the one its policy adds; prints the child's pid.
# With ORPHAN set it exits at once, leaving the child a filter its new
# parent does not hold; with EXEC set it becomes argv (a supervisor that
# holds a filter, as systemd's sandboxing options give it).
UNDER_A_FILTER = r"""
import ctypes, os, subprocess, sys
class F(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
class P(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(F))]
allow = (F * 1)(F(0x06, 0, 0, 0x7fff0000))      # BPF_RET|BPF_K, RET_ALLOW
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(22, 2, ctypes.byref(P(1, allow)), 0, 0) == 0  # SECCOMP_MODE_FILTER
if os.environ.get("EXEC"):
    os.execv(sys.argv[1], sys.argv[1:])
child = subprocess.Popen(sys.argv[1:])
print(child.pid, flush=True)
if os.environ.get("ORPHAN"):
    os._exit(0)
child.wait()
"""


def stacked_worker(orphan):
    r, w = os.pipe()
    env = dict(os.environ, ORPHAN="1") if orphan else dict(os.environ)
    p = subprocess.Popen(["python3", "-c", UNDER_A_FILTER, tool("cloister-testworker"),
                          policy("imapd")], stdin=r, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env, text=True)
    os.close(r)
    pid = int(p.stdout.readline())
    assert wait_for(lambda: proc_status(pid).get("Seccomp_filters") == "2")
    return p, pid, w


def test_a_stack_of_filters_is_the_policys_on_top_of_the_parents():
    p, pid, w = stacked_worker(orphan=False)
    try:
        r, _ = audit("%d:imapd" % pid)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "seccomp filter: matches %s (2 live, newest" % policy("imapd") in r.stdout
        assert "; 1 inherited)" in r.stdout, r.stdout
    finally:
        os.close(w)
        p.wait(timeout=10)
    # the same stack under a parent without that filter: one filter that
    # neither the policy nor the parent accounts for
    p, pid, w = stacked_worker(orphan=True)
    try:
        p.wait(timeout=10)
        assert wait_for(lambda: proc_status(pid).get("PPid") != str(p.pid))
        r, _ = audit("%d:imapd" % pid)
        assert r.returncode == 1, r.stdout + r.stderr
        assert re.search(r"DRIFT imapd\[%d\]: (2 seccomp filters live, the worker "
                         r"installs 1 on top of its parent's 0|the parent's .* seccomp "
                         r"filters unreadable)" % pid, r.stderr), r.stderr
        assert "seccomp filter: DIFFERS from" in r.stdout
        assert running(pid)
    finally:
        os.close(w)


def test_workers_of_the_tree_under_a_weakened_policy_are_drift():
    # cloisterd's imapd workers confine under a copy of imapd.policy with
    # one syscall more; the audit, given the original policies, names each
    # of them, and only them
    if not need_stored():
        return
    def weaken(text):
        return text + "syscall ptrace : a hand-weakened copy\n"
    with ImapServer(spares=2, policy_edits={"imapd": weaken}) as srv:
        original = tempfile.mkdtemp(prefix="cloister-original-")
        try:
            for f in os.listdir(srv.srv.policy_dir):
                shutil.copy(os.path.join(srv.srv.policy_dir, f), original)
            shutil.copy(policy("imapd"), original)
            t0 = time.time()
            r = run([tool("cloister-audit"), "-d", original, "-p", srv.srv.pidfile],
                    timeout=AUDIT_BOUND)
            assert time.time() - t0 < AUDIT_BOUND
        finally:
            shutil.rmtree(original)
        assert r.returncode == 1, r.stdout + r.stderr
        imapds = srv.imapd_pids()
        named = re.findall(r"DRIFT (\S+)\[(\d+)\]: live seccomp filter differs from "
                           r"%s/imapd\.policy \(\d+ vs \d+ instructions, first "
                           r"difference at \d+\)" % re.escape(original), r.stderr)
        assert sorted(int(p) for _, p in named) == sorted(imapds), r.stderr
        assert {s for s, _ in named} == {"imapd"}
        # authd, stored and keyd match
        assert len(re.findall(r"seccomp filter: matches ", r.stdout)) == 3, r.stdout
        # the audited workers serve on
        assert all(running(p) for p in imapds)
        c = srv.raw_login()
        c.close()


def test_workers_under_a_supervisor_with_filters_hold_its_stack_below_theirs():
    # cloisterd started under a filter (as systemd's sandboxing options
    # start it): every worker holds that filter below its own, the audit
    # reads cloisterd's stack to compare, and cloisterd runs on
    os.environ["EXEC"] = "1"
    try:
        with CloisterServer(FULL) as srv:
            srv.start(prefix=["python3", "-c", UNDER_A_FILTER])
            srv.wait_ready()
            assert proc_status(srv.proc.pid)["Seccomp_filters"] == "1"
            r = srv.audit()
            assert r.returncode == 0, r.stdout + r.stderr
            n = len(srv.children())
            assert len(re.findall(r"seccomp filter: matches \S+ \(2 live, newest \d+ "
                                  r"instructions; policy \d+; 1 inherited\)",
                                  r.stdout)) == n, r.stdout
            assert running(srv.proc.pid)
            with LineClient("127.0.0.1", srv.port("imap")) as c:
                assert c.readline().startswith("* OK")
    finally:
        del os.environ["EXEC"]
